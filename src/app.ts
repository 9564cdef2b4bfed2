// The composition root: the only place that builds things and wires them together.
import type { Logger } from "pino";
import type { RosterWriter, ServerAdapter } from "./adapters/adapter.js";
import { createAdapter, createRoster, describeCapabilities } from "./adapters/index.js";
import type { Config } from "./config/schema.js";
import { type HttpServer, createHttp } from "./http/index.js";
import { ApiKeyService } from "./invites/api-keys.js";
import { type Metrics, createMetrics } from "./metrics.js";
import { type Clock, systemClock } from "./invites/clock.js";
import { type Db, openDatabase } from "./invites/database.js";
import type { InviteEvents } from "./invites/events.js";
import { RegistrationService } from "./invites/registration.js";
import { RosterTaskRunner } from "./invites/roster-tasks.js";
import { InviteService } from "./invites/service.js";
import { InviteStore } from "./invites/store.js";
import { type ComponentConnection, createComponentConnection } from "./xmpp/component.js";
import { BridgeState, discoverBridge, registerBridge } from "./xmpp/bridge.js";
import { answerOnlyAtOwnJid } from "./xmpp/handlers.js";
import { NS } from "./xmpp/namespaces.js";
import { inviteCommands } from "./xmpp/commands/index.js";
import { registerDisco } from "./xmpp/xep0030-disco.js";
import { type Requester, registerCommands } from "./xmpp/xep0050-commands.js";
import { registerIbr } from "./xmpp/xep0077-register.js";
import { registerPing } from "./xmpp/xep0199-ping.js";
import { createPrivilegedRoster } from "./xmpp/xep0356-privilege.js";
import { PreauthSessions, registerPreauth } from "./xmpp/xep0401-preauth.js";

export const PREAUTH_TTL_MS = 5 * 60_000;
/** Longer than any adapter call can take, so only abandoned claims are released. */
export const STALE_CLAIM_MS = 10 * 60_000;
const HOUSEKEEPING_MS = 10 * 60_000;

export interface AppOverrides {
  readonly adapter?: ServerAdapter;
  readonly roster?: RosterWriter;
  readonly clock?: Clock;
  readonly rosterRetry?: { initialMs: number; maxMs: number };
  readonly connection?: ComponentConnection;
  readonly backoff?: { initialMs: number; maxMs: number };
}

export interface App {
  readonly config: Config;
  readonly db: Db;
  readonly invites: InviteService;
  readonly registration: RegistrationService;
  readonly connection: ComponentConnection;
  readonly preauth: PreauthSessions;
  readonly roster: RosterWriter;
  readonly rosterTasks: RosterTaskRunner;
  readonly apiKeys: ApiKeyService;
  readonly metrics: Metrics;
  readonly http: HttpServer;
  /** Whether the server's own registration redeems invites (its bridge module), as last discovered. */
  readonly bridge: BridgeState;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The invite service alone, for commands that only touch the database. */
export function openInvites(config: Config, clock: Clock = systemClock, events?: InviteEvents): { db: Db; invites: InviteService } {
  const db = openDatabase(config.database);
  const invites = new InviteService({
    store: new InviteStore(db),
    clock,
    domain: config.domain,
    defaultExpiry: config.invite_expiry,
    ...(events ? { events } : {}),
  });
  return { db, invites };
}

/** The web page of an invite, when `http.public_url` says where the web door is. */
export function landingUrlFor(config: Config): (token: string) => string | undefined {
  const base = config.http.public_url?.replace(/\/$/, "");
  return (token) => (base === undefined ? undefined : `${base}/invite/${token}`);
}

export function createApp(config: Config, log: Logger, overrides: AppOverrides = {}): App {
  const clock = overrides.clock ?? systemClock;
  // Metrics read the connection state lazily, so they can exist before it does.
  let isOnline = () => false;
  const metrics = createMetrics(() => isOnline());
  const { db, invites } = openInvites(config, clock, metrics.events);
  const apiKeys = new ApiKeyService(db, clock);
  const connection = overrides.connection ?? createComponentConnection({
    service: config.component.service,
    domain: config.component.domain,
    secret: config.component.secret,
    log: log.child({ feature: "xep0114" }),
    ...(overrides.backoff ? { backoff: overrides.backoff } : {}),
  });
  isOnline = () => connection.isOnline();
  const adapter = metrics.measure(overrides.adapter ?? createAdapter(config.adapter, { xmpp: connection, domain: config.domain, log: log.child({ feature: "adapter" }) }));
  const roster = overrides.roster ?? createRoster(config.adapter, {
    domain: config.domain,
    xep0356: () => createPrivilegedRoster({
      connection,
      domain: config.domain,
      componentDomain: config.component.domain,
      log: log.child({ feature: "xep0356" }),
      timeoutMs: config.adapter.timeout * 1000,
      // Only ever called once the server has connected, long after rosterTasks exists.
      onGranted: () => rosterTasks.kick(),
    }),
  });
  const rosterTasks = new RosterTaskRunner({
    store: invites.store,
    roster,
    clock,
    log: log.child({ feature: "xep0379" }),
    domain: config.domain,
    ...(overrides.rosterRetry ? { retry: overrides.rosterRetry } : {}),
  });
  const registration = new RegistrationService({
    invites,
    adapter,
    policy: { inviteOnly: config.registration_invite_only, allowRegistration: config.allow_registration },
    log: log.child({ feature: "registration" }),
    minPasswordLength: config.password_policy.min_length,
    onConsumed: () => rosterTasks.kick(),
    events: metrics.events,
  });
  const preauth = new PreauthSessions({ ttlMs: PREAUTH_TTL_MS, max: 10_000, clock });
  const { xmpp } = connection;
  // Queued roster steps run as soon as the server is back (for writers that need no grant).
  xmpp.on("online", () => rosterTasks.kick());

  const admins = new Set(config.admins.map((jid) => jid.toLowerCase()));
  const requesterOf = (from: { toString(): string; bare(): { toString(): string }; local: string; domain: string }): Requester => {
    const bare = from.bare().toString().toLowerCase();
    return { jid: from.toString(), bare, isAdmin: admins.has(bare), isLocalUser: from.domain === config.domain && from.local !== "" };
  };

  answerOnlyAtOwnJid(xmpp, config.component.domain);
  const commands = registerCommands({
    xmpp,
    commands: inviteCommands({
      invites,
      domain: config.domain,
      allowContactInvites: config.allow_contact_invites,
      allowUserInvites: config.allow_user_invites,
      landingUrl: landingUrlFor(config),
    }),
    requesterOf,
    componentJid: config.component.domain,
    clock,
    log: log.child({ feature: "xep0050" }),
  });
  registerDisco({
    xmpp,
    log: log.child({ feature: "xep0030" }),
    name: `Invites for ${config.domain}`,
    features: () => [NS.PING, ...(registration.isAvailable ? [NS.REGISTER, NS.PARS] : [])],
    commands,
  });
  registerPing(xmpp);
  registerPreauth({ xmpp, registration, sessions: preauth, log: log.child({ feature: "xep0401" }) });
  registerIbr({ xmpp, registration, sessions: preauth, log: log.child({ feature: "xep0077" }), domain: config.domain });

  const bridge = new BridgeState(config.bridge);
  const bridgeLog = log.child({ feature: "bridge" });
  registerBridge({ xmpp, registration, state: bridge, domain: config.domain, log: bridgeLog });
  if (bridge.mode !== "none") {
    // Asked on every connection: the server may have been reconfigured while we were away.
    xmpp.on("online", () => {
      discoverBridge(connection.request, { domain: config.domain, componentDomain: config.component.domain, timeoutMs: config.adapter.timeout * 1000 })
        .then((found) => {
          bridge.discovery = found;
          reportBridge(bridgeLog, bridge, config.domain);
        })
        .catch((err: unknown) => bridgeLog.warn({ err: err instanceof Error ? err.message : String(err), apps_redeem_directly: bridge.works }, `could not ask ${config.domain} whether it has the invite bridge`));
    });
  }

  const http = createHttp({
    config,
    invites,
    registration,
    apiKeys,
    metrics,
    clock,
    log: log.child({ feature: "http" }),
    health: () => ({ component: connection.isOnline(), database: isWritable(db) }),
    bridgeWorks: () => bridge.works,
  });

  let timer: NodeJS.Timeout | undefined;
  const housekeeping = () => {
    const released = invites.releaseStaleClaims(STALE_CLAIM_MS);
    const purged = invites.purgeExpired();
    db.pragma("wal_checkpoint(PASSIVE)");
    if (released || purged) log.info({ released, purged }, "housekeeping");
  };

  return {
    config, db, invites, registration, connection, preauth, roster, rosterTasks, apiKeys, metrics, http, bridge,
    async start() {
      housekeeping();
      timer = setInterval(housekeeping, HOUSEKEEPING_MS);
      timer.unref();
      log.info({ domain: config.domain, component: config.component.domain, adapter: adapter.kind, roster: roster.kind, capabilities: describeCapabilities(config.adapter), mode: registration.mode, bridge: bridge.mode }, "starting");
      await http.start();
      await adapter.start?.();
      await connection.start();
      rosterTasks.start();
    },
    async stop() {
      clearInterval(timer);
      await http.stop();
      await rosterTasks.stop();
      await adapter.stop?.();
      await connection.stop();
      db.close();
      log.info("stopped");
    },
  };
}

/** One line on whether apps can redeem invite links directly, and what to do when they cannot. */
function reportBridge(log: Logger, bridge: BridgeState, domain: string): void {
  const fields = { bridge: bridge.mode, discovery: bridge.discovery, apps_redeem_directly: bridge.works };
  switch (bridge.discovery) {
    case "present":
      log.info(fields, `${domain} has the invite bridge: apps redeem invite links directly`);
      break;
    case "elsewhere":
      log.warn(fields, `${domain} has the invite bridge, but for another component: apps cannot redeem this component's invites directly; set xmpp_invites_component to this component`);
      break;
    default: {
      const message = `${domain} has no invite bridge: apps cannot redeem invite links directly, so the landing page leads with registration in the browser (Prosody: load mod_xmpp_invites)`;
      if (bridge.mode === "prosody") log.error(fields, message);
      else log.info(fields, message);
    }
  }
}

/** Takes the write lock and gives it back: proof the database can be written. */
function isWritable(db: Db): boolean {
  try {
    db.exec("BEGIN IMMEDIATE");
    db.exec("ROLLBACK");
    return true;
  } catch {
    return false;
  }
}
