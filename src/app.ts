// The composition root: the only place that builds things and wires them together.
import type { Logger } from "pino";
import type { ServerAdapter } from "./adapters/adapter.js";
import { createAdapter } from "./adapters/index.js";
import type { Config } from "./config/schema.js";
import { type Clock, systemClock } from "./invites/clock.js";
import { type Db, openDatabase } from "./invites/database.js";
import { RegistrationService } from "./invites/registration.js";
import { InviteService } from "./invites/service.js";
import { InviteStore } from "./invites/store.js";
import { type ComponentConnection, createComponentConnection } from "./xmpp/component.js";
import { answerOnlyAtOwnJid } from "./xmpp/handlers.js";
import { NS } from "./xmpp/namespaces.js";
import { registerDisco } from "./xmpp/xep0030-disco.js";
import { registerIbr } from "./xmpp/xep0077-register.js";
import { registerPing } from "./xmpp/xep0199-ping.js";
import { PreauthSessions, registerPreauth } from "./xmpp/xep0401-preauth.js";

export const PREAUTH_TTL_MS = 5 * 60_000;
/** Longer than any adapter call can take, so only abandoned claims are released. */
export const STALE_CLAIM_MS = 10 * 60_000;
const HOUSEKEEPING_MS = 60 * 60_000;

export interface AppOverrides {
  readonly adapter?: ServerAdapter;
  readonly clock?: Clock;
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
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The invite service alone, for commands that only touch the database. */
export function openInvites(config: Config, clock: Clock = systemClock): { db: Db; invites: InviteService } {
  const db = openDatabase(config.database);
  const invites = new InviteService({ store: new InviteStore(db), clock, domain: config.domain, defaultExpiry: config.invite_expiry });
  return { db, invites };
}

export function createApp(config: Config, log: Logger, overrides: AppOverrides = {}): App {
  const clock = overrides.clock ?? systemClock;
  const { db, invites } = openInvites(config, clock);
  const connection = overrides.connection ?? createComponentConnection({
    service: config.component.service,
    domain: config.component.domain,
    secret: config.component.secret,
    log: log.child({ feature: "xep0114" }),
    ...(overrides.backoff ? { backoff: overrides.backoff } : {}),
  });
  const adapter = overrides.adapter ?? createAdapter(config.adapter, { xmpp: connection, domain: config.domain });
  const registration = new RegistrationService({
    invites,
    adapter,
    policy: { inviteOnly: config.registration_invite_only, allowRegistration: config.allow_registration },
    log: log.child({ feature: "registration" }),
  });
  const preauth = new PreauthSessions({ ttlMs: PREAUTH_TTL_MS, max: 10_000, clock });
  const { xmpp } = connection;

  answerOnlyAtOwnJid(xmpp, config.component.domain);
  registerDisco({
    xmpp,
    log: log.child({ feature: "xep0030" }),
    name: `Invites for ${config.domain}`,
    features: () => [NS.PING, ...(registration.isAvailable ? [NS.REGISTER, NS.PARS] : [])],
  });
  registerPing(xmpp);
  registerPreauth({ xmpp, registration, sessions: preauth, log: log.child({ feature: "xep0401" }) });
  registerIbr({ xmpp, registration, sessions: preauth, log: log.child({ feature: "xep0077" }), domain: config.domain });

  let timer: NodeJS.Timeout | undefined;
  const housekeeping = () => {
    const released = invites.releaseStaleClaims(STALE_CLAIM_MS);
    const purged = invites.purgeExpired();
    if (released || purged) log.info({ released, purged }, "housekeeping");
  };

  return {
    config, db, invites, registration, connection, preauth,
    async start() {
      housekeeping();
      timer = setInterval(housekeeping, HOUSEKEEPING_MS);
      timer.unref();
      log.info({ domain: config.domain, component: config.component.domain, adapter: adapter.kind, mode: registration.mode }, "starting");
      await connection.start();
    },
    async stop() {
      clearInterval(timer);
      await connection.stop();
      db.close();
      log.info("stopped");
    },
  };
}
