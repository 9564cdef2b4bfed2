// The composition root: the only place that builds things and wires them together.
import { createHmac } from "node:crypto";
import type { Logger } from "pino";
import { createAdapter, createRoster, describeCapabilities, ejabberdApiVersion } from "./adapters/index.js";
import { balancingWarning, logServerProbe, probeServer } from "./adapters/server/probe.js";
import { type Config, portalClientService } from "./config/schema.js";
import { saslPasswordCheck } from "./client/sasl-login.js";
import type { PasswordCheck } from "./invites/ports/password.js";
import { PortalSignIn } from "./invites/portal/sign-in.js";
import { type HttpServer, createHttp } from "./http/index.js";
import { type AccountLookup, AccountRequestService, type RequestNotifier } from "./invites/requests/account-requests.js";
import { ApiKeyService } from "./invites/service/api-keys.js";
import { type Clock, systemClock } from "./invites/domain/clock.js";
import { ContactInvites } from "./invites/social/contacts.js";
import { type InviteEvents, allOf } from "./invites/domain/events.js";
import { logAdapter, logEvents, logRoster } from "./log.js";
import { Housekeeping } from "./invites/service/housekeeping.js";
import { InviteLimits } from "./invites/service/limits.js";
import { noticeEvents } from "./invites/social/notices.js";
import type { RosterWriter } from "./invites/ports/roster.js";
import type { ServerAdapter } from "./invites/ports/server.js";
import { RegistrationService } from "./invites/registration/registration-service.js";
import { RosterTaskRunner } from "./invites/social/roster-tasks.js";
import { ClaimSettlement } from "./invites/registration/settlement.js";
import { InviteService } from "./invites/service/invite-service.js";
import { InvitationTree } from "./invites/social/tree.js";
import { isPostgresUrl, openPostgresStores } from "./adapters/store/postgres/index.js";
import { openSqliteStores as openSqlite } from "./adapters/store/sqlite/index.js";
import type { Stores } from "./invites/ports/store.js";
import { type Metrics, createMetrics } from "./metrics.js";
import { type Timing, timingFromEnv } from "./timing.js";
import { NS } from "./protocol/namespaces.js";
import { accountRequestCommands } from "./xmpp/commands/account-requests.js";
import { inviteCommands } from "./xmpp/commands/index.js";
import { type ComponentConnection, createComponentConnection } from "./xmpp/component.js";
import { BridgeState, bridgeSubscriptionCheck, registerBridge, watchBridge } from "./xmpp/bridge.js";
import { answerOnlyAtOwnJid } from "./xmpp/handlers.js";
import { createXmppNotifier } from "./adapters/notifier/xmpp-message.js";
import { requestNotifier } from "./xmpp/request-notices.js";
import { OutboxSender } from "./invites/social/outbox.js";
import { requesterPolicy } from "./xmpp/requester.js";
import { registerDisco } from "./xmpp/xep0030-disco.js";
import { registerCommands } from "./xmpp/xep0050-commands.js";
import { registerIbr } from "./xmpp/xep0077-register.js";
import { registerPing } from "./xmpp/xep0199-ping.js";
import { createXep0356RosterWriter } from "./adapters/roster/xep0356-privilege.js";
import { PreauthSessions, registerPreauth, sealedPreauth } from "./xmpp/xep0401-preauth.js";

export const PREAUTH_TTL_MS = 5 * 60_000;
const HOUSEKEEPING_MS = 10 * 60_000;
/** How often open claims are checked against the server (besides start and every reconnect). */
const SETTLEMENT_MS = 30_000;
/** How often a standby instance asks for the component connection: a takeover within ~1 s. */
const STANDBY_RETRY_MS = 1000;
/** How often an instance on a shared database looks for work another instance queued (roster steps, notices). */
const SHARED_POLL_MS = 2000;
/**
 * Instances on a shared database connect to ejabberd one after another, and a reply the server
 * routes to a slot no instance holds yet is lost (docs/operations.md, Several instances): there, a
 * question asked at connect that got no answer is asked once more, this long after.
 */
const ASK_AGAIN_MS = 1000;

export interface AppOverrides {
  readonly adapter?: ServerAdapter;
  readonly roster?: RosterWriter;
  readonly clock?: Clock;
  readonly rosterRetry?: { initialMs: number; maxMs: number };
  readonly connection?: ComponentConnection;
  readonly backoff?: { initialMs: number; maxMs: number };
  readonly settlementMs?: number;
  /** How the portal checks a password (default: a SASL login on the server's client port). */
  readonly passwordCheck?: PasswordCheck;
}

export interface App {
  readonly config: Config;
  readonly stores: Stores;
  readonly invites: InviteService;
  readonly registration: RegistrationService;
  readonly connection: ComponentConnection;
  readonly preauth: PreauthSessions;
  readonly roster: RosterWriter;
  readonly rosterTasks: RosterTaskRunner;
  /** The component's chat messages, queued in the store and sent by an instance that holds the link. */
  readonly outbox: OutboxSender;
  readonly apiKeys: ApiKeyService;
  readonly requests: AccountRequestService;
  readonly metrics: Metrics;
  readonly http: HttpServer;
  /** Whether the server's own registration redeems invites (its bridge module), as last discovered. */
  readonly bridge: BridgeState;
  readonly settlement: ClaimSettlement;
  readonly contacts: ContactInvites;
  readonly tree: InvitationTree;
  readonly limits: InviteLimits;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The database the config names: a postgresql:// or postgres:// URL, else a SQLite file. */
export function openConfiguredStores(config: Config, options: { heartbeat?: boolean } = {}): Stores {
  return isPostgresUrl(config.database) ? openPostgresStores(config.database, options) : openSqlite(config.database);
}

/** Account requests over the store, for the running app (which tells admins) and the CLI. */
export function accountRequests(config: Config, stores: Stores, invites: InviteService, clock: Clock, notifier?: RequestNotifier, accounts?: AccountLookup): AccountRequestService {
  return new AccountRequestService({
    accounts,
    store: stores.accountRequests,
    invites,
    clock,
    expirySeconds: config.registration_requests.expiry,
    maxPending: config.registration_requests.max_pending,
    notifier,
  });
}

/** The adapter as asked about a requested name: not at all while it cannot get through. */
function askingServer(adapter: ServerAdapter): AccountLookup {
  return { accountExists: (username) => (adapter.ready?.() === false ? Promise.resolve({ exists: "unknown" }) : adapter.accountExists(username)) };
}

/**
 * For the shell: the configured adapter where it works without the running service (ejabberd's
 * HTTP API, prosodyctl); the XEP-0133 adapters speak over a connection the CLI does not hold.
 */
export function standaloneAccounts(config: Config, log: Logger): AccountLookup | undefined {
  const { adapter } = config;
  if (adapter.type !== "ejabberd-api" && adapter.type !== "prosodyctl") return undefined;
  return createAdapter(adapter, { xmpp: { isOnline: () => false, request: () => Promise.reject(new Error("no connection")) }, domain: config.domain, log });
}

/** The stores and the invite service alone, for commands that only touch the database. */
export async function openInvites(config: Config, clock: Clock = systemClock): Promise<{ stores: Stores; invites: InviteService; tree: InvitationTree }> {
  // The CLI makes no claims: it needs no heartbeat.
  const stores = openConfiguredStores(config, { heartbeat: false });
  await stores.ready();
  const invites = inviteService(config, stores, clock);
  return { stores, invites, tree: new InvitationTree({ store: stores.invitations, invites }) };
}

function inviteService(config: Config, stores: Stores, clock: Clock, events?: InviteEvents): InviteService {
  return new InviteService({
    store: stores.invites,
    claims: stores.claims,
    clock,
    domain: config.domain,
    defaultExpiry: config.invite_expiry,
    // A registration holds its claim for at most two adapter calls (create, then a rollback).
    holdLimitMs: Math.max(60_000, 3 * config.adapter.timeout * 1000),
    ...(events ? { events } : {}),
  });
}

export function createApp(config: Config, log: Logger, overrides: AppOverrides = {}): App {
  const clock = overrides.clock ?? systemClock;
  const stores = openConfiguredStores(config);
  const timing = timingFromEnv(log.child({ feature: "timing" }));
  const connection = overrides.connection ?? componentConnection(config, log, stores, timing, overrides.backoff);
  const measured = createMetrics({ isConnected: () => connection.isOnline(), storeStats: () => stores.stats.read(clock.now()) });
  // Every refusal and redemption, at every door, is logged where the metrics count it.
  const metrics: Metrics = { ...measured, events: logEvents(measured.events, log.child({ feature: "registration" })) };
  const invites = inviteService(config, stores, clock, metrics.events);
  const apiKeys = new ApiKeyService(stores.apiKeys, clock);
  const server = serverAccess({ config, log, overrides, clock, stores, connection, metrics });
  const core = registrationCore({ config, log, overrides, clock, stores, connection, metrics, timing, invites, ...server });
  // Shared where instances are: the register may reach another instance than the preauth did.
  const preauth = new PreauthSessions({ ttlMs: PREAUTH_TTL_MS, max: 10_000, clock, shared: stores.kind === "postgresql" ? sealedPreauth(stores.preauth, config.component.secret) : undefined });
  // Queued roster steps run as soon as the server is back (for writers that need no grant), and
  // claims a lost link left open are settled.
  connection.xmpp.on("online", () => {
    server.rosterTasks.soon();
    server.outbox.soon();
    void core.settlement.run("connected");
  });
  const requests = accountRequests(config, stores, invites, clock, requestNotifier({
    notifier: server.outbox.notifier(),
    componentJid: config.component.domain,
    admins: config.admins,
    domain: config.domain,
    log: log.child({ feature: "requests" }),
  }), askingServer(server.adapter));
  const bridge = new BridgeState(config.bridge);
  registerXmpp({ config, log, clock, connection, stores, invites, requests, preauth, bridge, ...core });
  probeOnConnect(config, log, connection, stores.kind === "postgresql");
  const portal = portalSignIn(config, stores, clock, overrides.passwordCheck);
  const http = httpServer({ config, log, clock, stores, connection, metrics, invites, apiKeys, requests, bridge, timing, adapter: server.adapter, portal, ...core });
  const housekeeping = new Housekeeping({
    invites,
    compact: () => stores.compact(),
    exclusively: (work) => stores.exclusively("housekeeping", work),
    log: log.child({ feature: "housekeeping" }),
    intervalMs: HOUSEKEEPING_MS,
  });
  const parts = { config, stores, invites, connection, preauth, apiKeys, requests, metrics, http, bridge, ...server, ...core };
  return { ...parts, ...lifecycle(parts, housekeeping, log) };
}

/** What the wiring functions below take: the config, the root logger and what is already built. */
interface Built {
  readonly config: Config;
  readonly log: Logger;
  readonly overrides: AppOverrides;
  readonly clock: Clock;
  readonly stores: Stores;
  readonly connection: ComponentConnection;
  readonly metrics: Metrics;
}

function componentConnection(config: Config, log: Logger, stores: Stores, timing: Timing | undefined, backoff: AppOverrides["backoff"]): ComponentConnection {
  // Instances sharing a database may share a component name too: where the server takes one
  // connection per name (Prosody), the others stand by and take over when it goes.
  const shared = stores.kind === "postgresql";
  return createComponentConnection({
    service: config.component.service,
    domain: config.component.domain,
    secret: config.component.secret,
    log: log.child({ feature: "xep0114" }),
    timing,
    ...(backoff ? { backoff } : {}),
    ...(shared ? { standby: { retryMs: STANDBY_RETRY_MS } } : {}),
    // Where the server balances several connections (ejabberd), replies reach the instance that asked.
    ...(stores.channel ? { relay: stores.channel } : {}),
  });
}

/** The server adapter, the roster writer and the queue of roster steps it works through. */
function serverAccess({ config, log, overrides, clock, stores, connection, metrics }: Built) {
  const adapterLog = log.child({ feature: "adapter" });
  const adapter = metrics.measure(logAdapter(overrides.adapter ?? createAdapter(config.adapter, { xmpp: connection, domain: config.domain, log: adapterLog }), adapterLog, config.domain));
  const roster = logRoster(overrides.roster ?? createRoster(config.adapter, {
    domain: config.domain,
    log: adapterLog,
    xep0356: () => createXep0356RosterWriter({
      connection,
      domain: config.domain,
      componentDomain: config.component.domain,
      log: log.child({ feature: "xep0356" }),
      timeoutMs: config.adapter.timeout * 1000,
    }),
  }), log.child({ feature: "roster" }));
  const rosterTasks = new RosterTaskRunner({
    queue: stores.rosterQueue,
    roster,
    clock,
    log: log.child({ feature: "xep0379" }),
    domain: config.domain,
    exclusively: (work) => stores.exclusively("roster", work),
    ...(overrides.rosterRetry ? { retry: overrides.rosterRetry } : {}),
    // Steps queued by another instance (one without the link, or without the right) are found here.
    ...(stores.kind === "postgresql" ? { idlePollMs: SHARED_POLL_MS } : {}),
  });
  const xmppNotifier = createXmppNotifier(connection, config.component.domain);
  const outbox = new OutboxSender({
    outbox: stores.outbox,
    send: (message) => xmppNotifier.notify(message.to, message.body),
    isOnline: () => connection.isOnline(),
    clock,
    log: log.child({ feature: "notices" }),
    exclusively: (work) => stores.exclusively("outbox", work),
    ...(stores.kind === "postgresql" ? { pollMs: SHARED_POLL_MS } : {}),
  });
  return { adapter, roster, rosterTasks, outbox };
}

/** When an invite is used: metrics, and messages from the component (notices, welcome). */
function usedEvents({ config, log, metrics, outbox }: Built & { outbox: OutboxSender }): InviteEvents {
  return allOf([
    metrics.events,
    noticeEvents(outbox.notifier(), {
      siteName: config.site_name ?? config.domain,
      domain: config.domain,
      admins: config.admins,
      watchers: config.registration_watchers,
      notifyInviters: config.notify_inviters,
      welcome: config.welcome_message,
    }, log.child({ feature: "notices" })),
  ], (err) => log.warn({ err }, "an invite event listener failed"));
}

/** The registration core and what it leans on: contact invites, the tree, limits, claim settlement. */
function registrationCore(built: Built & { timing: Timing | undefined; invites: InviteService; adapter: ServerAdapter; rosterTasks: RosterTaskRunner; outbox: OutboxSender }) {
  const { config, log, overrides, clock, stores, connection, invites, adapter, rosterTasks, timing } = built;
  const events = usedEvents(built);
  const contacts = new ContactInvites({ invites, claims: stores.claims, store: stores.invitations, clock, log: log.child({ feature: "xep0379" }), events, onQueued: () => rosterTasks.soon() });
  const tree = new InvitationTree({ store: stores.invitations, invites });
  const { invite_limits: l } = config;
  const limits = new InviteLimits({
    limits: { activePerUser: l.active_per_user, perUserPerDay: l.per_user_per_day, chainDepth: l.chain_depth, chainWindowMs: l.chain_window * 1000, treeSize: l.tree_size },
  });
  const settlement = new ClaimSettlement({
    invites,
    adapter,
    log: log.child({ feature: "settlement" }),
    intervalMs: overrides.settlementMs ?? SETTLEMENT_MS,
    events,
    onRecorded: () => rosterTasks.soon(),
    exclusively: (work) => stores.exclusively("settlement", work),
    // Contact claims of the server's bridge are settled by the module's reading of the inviter's roster.
    ...(config.bridge === "none" ? {} : {
      contacts: {
        invites: contacts,
        check: bridgeSubscriptionCheck({ request: connection.request, isOnline: () => connection.isOnline(), domain: config.domain, componentDomain: config.component.domain, timeoutMs: config.adapter.timeout * 1000 }),
      },
    }),
  });
  const registration = new RegistrationService({
    invites,
    adapter,
    policy: { inviteOnly: config.registration_invite_only, allowRegistration: config.allow_registration },
    log: log.child({ feature: "registration" }),
    minPasswordLength: config.password_policy.min_length,
    onConsumed: () => rosterTasks.soon(),
    onClaimLeft: () => settlement.soon(),
    events,
    ...(timing ? { timer: timing } : {}),
  });
  return { contacts, tree, limits, settlement, registration };
}

/** The component's handlers: commands, disco, ping, XEP-0401 and XEP-0077, the server bridge. */
function registerXmpp(parts: Pick<Built, "config" | "log" | "clock" | "connection" | "stores"> & Pick<App, "invites" | "requests" | "preauth" | "bridge" | "contacts" | "tree" | "limits" | "registration">): void {
  const { config, log, clock, connection, stores, invites, requests, preauth, bridge, contacts, tree, limits, registration } = parts;
  const { xmpp } = connection;
  answerOnlyAtOwnJid(xmpp, config.component.domain);
  const commands = registerCommands({
    xmpp,
    commands: inviteCommands({
      invites,
      domain: config.domain,
      allowContactInvites: config.allow_contact_invites,
      allowUserInvites: config.allow_user_invites,
      publicUrl: config.http.public_url,
      contacts,
      tree,
      limits,
    }).concat(config.registration_requests.enabled ? accountRequestCommands({ requests, clock }) : []),
    requesterOf: requesterPolicy({ admins: config.admins, domain: config.domain }),
    componentJid: config.component.domain,
    // Every instance has the component secret: a session begun on one continues on another.
    sessionKey: createHmac("sha256", config.component.secret).update("xmpp-invites ad-hoc sessions").digest(),
    clock,
    log: log.child({ feature: "xep0050" }),
  });
  registerDisco({
    xmpp,
    log: log.child({ feature: "xep0030" }),
    name: `Invites for ${config.domain}`,
    // urn:xmpp:invite: the XEP-0401 commands are here; urn:xmpp:ibr-token:0: XEP-0077 here takes a token (XEP-0445).
    features: () => [NS.PING, NS.INVITE, ...(registration.isAvailable ? [NS.REGISTER, NS.PARS, NS.IBR_TOKEN] : [])],
    commands,
  });
  registerPing(xmpp);
  registerPreauth({ xmpp, registration, sessions: preauth, log: log.child({ feature: "xep0401" }) });
  registerIbr({ xmpp, registration, sessions: preauth, log: log.child({ feature: "xep0077" }), domain: config.domain });

  const bridgeLog = log.child({ feature: "bridge" });
  registerBridge({ xmpp, registration, contacts, state: bridge, domain: config.domain, log: bridgeLog });
  watchBridge({
    xmpp, request: connection.request, state: bridge, domain: config.domain, componentDomain: config.component.domain, timeoutMs: config.adapter.timeout * 1000, log: bridgeLog,
    askAgainAfterMs: stores.kind === "postgresql" ? ASK_AGAIN_MS : undefined,
  });
}

/** Which server this is and what works there, at every connection (it may have been upgraded meanwhile). */
function probeOnConnect(config: Config, log: Logger, connection: ComponentConnection, shared: boolean): void {
  const serverLog = log.child({ feature: "server" });
  const apiVersion = ejabberdApiVersion(config.adapter, { domain: config.domain, log: serverLog });
  const ask = () => probeServer({ xmpp: connection, domain: config.domain, componentDomain: config.component.domain, timeoutMs: config.adapter.timeout * 1000, adapter: config.adapter, apiVersion });
  connection.xmpp.on("online", () => {
    ask()
      .then(async (probe) => {
        if (!shared || probe.identity !== undefined) return probe;
        await new Promise((resolve) => setTimeout(resolve, ASK_AGAIN_MS).unref());
        return ask();
      })
      .then((probe) => {
        logServerProbe(serverLog, probe);
        const balancing = shared ? balancingWarning(probe.identity, config.component.domain) : undefined;
        if (balancing !== undefined) serverLog.warn({ server: probe.identity?.name, version: probe.identity?.version }, balancing);
      })
      .catch((err: unknown) => serverLog.warn({ err: err instanceof Error ? err.message : String(err) }, "could not ask the server who it is"));
  });
}

/** The web portal's sign-in, checked by the server itself; undefined when `portal.enabled` is off. */
function portalSignIn(config: Config, stores: Stores, clock: Clock, check: PasswordCheck | undefined): PortalSignIn | undefined {
  if (!config.portal.enabled) return undefined;
  return new PortalSignIn({
    store: stores.portalSessions,
    check: check ?? saslPasswordCheck({ service: portalClientService(config), domain: config.domain, timeoutMs: config.adapter.timeout * 1000 }),
    clock,
    domain: config.domain,
    sessionMs: config.portal.session_expiry * 1000,
  });
}

function httpServer(parts: Omit<Built, "overrides"> & Pick<App, "invites" | "registration" | "apiKeys" | "requests" | "bridge" | "tree" | "limits"> & { timing: Timing | undefined; adapter: ServerAdapter; portal: PortalSignIn | undefined }): HttpServer {
  const { config, log, clock, stores, connection, adapter, bridge } = parts;
  return createHttp({
    config,
    invites: parts.invites,
    registration: parts.registration,
    apiKeys: parts.apiKeys,
    metrics: parts.metrics,
    clock,
    log: log.child({ feature: "http" }),
    health: async () => ({
      component: connection.isOnline(),
      standby: connection.isStandby(),
      // A standby serves the web door and the API when its adapter has a way of its own to the server.
      serves: adapter.ready?.() ?? true,
      database: await stores.isWritable(clock.now()),
    }),
    bridgeWorks: () => bridge.works,
    tree: parts.tree,
    requests: parts.requests,
    timing: parts.timing,
    portal: parts.portal,
    limits: parts.limits,
    rateLimits: stores.rateLimits,
  });
}

/** Start and stop, in the order the parts depend on each other. */
function lifecycle(parts: Omit<App, "start" | "stop"> & { adapter: ServerAdapter }, housekeeping: Housekeeping, log: Logger): Pick<App, "start" | "stop"> {
  const { config, stores, http, adapter, roster, registration, bridge, settlement, connection, rosterTasks, outbox } = parts;
  return {
    async start() {
      await stores.ready();
      housekeeping.start();
      log.info({ domain: config.domain, component: config.component.domain, adapter: adapter.kind, roster: roster.kind, capabilities: describeCapabilities(config.adapter), mode: registration.mode, bridge: bridge.mode }, "starting");
      await http.start();
      await adapter.start?.();
      settlement.start();
      await connection.start();
      rosterTasks.start();
      outbox.start();
    },
    async stop() {
      await housekeeping.stop();
      await settlement.stop();
      await http.stop();
      await rosterTasks.stop();
      await outbox.stop();
      await adapter.stop?.();
      await connection.stop();
      await stores.close();
      log.info("stopped");
    },
  };
}
