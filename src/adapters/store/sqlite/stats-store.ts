// What the store holds right now, for metrics that are true whichever process (CLI, API, another
// instance) made the change.
import type { Statement } from "better-sqlite3";
import type { StoreStats } from "../../../invites/ports/store.js";
import type { Db } from "./database.js";

export class SqliteStatsStore {
  readonly #invites: Statement<[number], { kind: string; status: string; count: number }>;
  readonly #claims: Statement<[], { count: number }>;
  readonly #roster: Statement<[], { queued: number | null; failing: number | null }>;
  readonly #redemptions: Statement<[], { door: string; action: string; count: number }>;

  constructor(db: Db) {
    // The same rules as inviteKind and inviteStatus in invite.ts.
    this.#invites = db.prepare(
      `SELECT CASE
                WHEN type = 'contact' AND allow_registration = 1 THEN 'contact+register'
                WHEN type = 'account' AND groups <> '[]' THEN 'group'
                ELSE type END AS kind,
              CASE
                WHEN revoked_at IS NOT NULL THEN 'revoked'
                WHEN uses >= max_uses THEN 'used'
                WHEN expires_at <= ? THEN 'expired'
                ELSE 'active' END AS status,
              COUNT(*) AS count
       FROM invites GROUP BY kind, status ORDER BY kind, status`,
    );
    this.#claims = db.prepare(`SELECT COUNT(*) AS count FROM claims`);
    this.#roster = db.prepare(`SELECT COUNT(*) AS queued, SUM(attempts > 0) AS failing FROM roster_tasks WHERE done_at IS NULL`);
    this.#redemptions = db.prepare(`SELECT door, action, COUNT(*) AS count FROM redemptions GROUP BY door, action ORDER BY door, action`);
  }

  read(now: number): StoreStats {
    const roster = this.#roster.get();
    return {
      invites: this.#invites.all(now),
      pendingClaims: this.#claims.get()?.count ?? 0,
      rosterStepsQueued: roster?.queued ?? 0,
      rosterStepsFailing: roster?.failing ?? 0,
      redemptions: this.#redemptions.all(),
    };
  }
}
