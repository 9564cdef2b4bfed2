// The store ports over one SqlEngine: everything both engines share. Each engine adds only what
// is its own (opening, migrating, upkeep, singleton jobs, the channel between instances).
import type { Stores } from "../../invites/ports/store.js";
import { claimStore } from "./claims.js";
import { invitationStore, inviteStore } from "./invites.js";
import { accountRequestStore, apiKeyStore, statsStore } from "./records.js";
import { portalSessionStore } from "./portal.js";
import { outbox } from "./outbox.js";
import { preauthStore } from "./preauth.js";
import { rateLimitStore } from "./rate-limits.js";
import { rosterQueue } from "./roster.js";
import { type SqlEngine, run } from "./sql.js";

export type SqlStores = Pick<Stores, "invites" | "claims" | "rosterQueue" | "apiKeys" | "stats" | "invitations" | "accountRequests" | "portalSessions" | "rateLimits" | "outbox" | "preauth" | "isWritable">;

export function sqlStores(engine: SqlEngine): SqlStores {
  return {
    invites: inviteStore(engine),
    claims: claimStore(engine),
    rosterQueue: rosterQueue(engine),
    apiKeys: apiKeyStore(engine),
    stats: statsStore(engine),
    invitations: invitationStore(engine),
    accountRequests: accountRequestStore(engine),
    portalSessions: portalSessionStore(engine),
    rateLimits: rateLimitStore(engine),
    outbox: outbox(engine),
    preauth: preauthStore(engine),
    /**
     * Commits a one-row write: proof the database takes writes. Taking the lock alone is not (a
     * full disk still grants it), so something is written; `now` keeps the row changing.
     */
    async isWritable(now) {
      try {
        await engine.query(run("INSERT INTO health (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at", now));
        return true;
      } catch {
        return false;
      }
    },
  };
}
