// What the store holds right now, for metrics, on PostgreSQL.
import type { StatsStore, StoreStats } from "../../../invites/ports/store.js";
import { type Pool, guard, query } from "./database.js";

export class PostgresStatsStore implements StatsStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  read(now: number): Promise<StoreStats> {
    return guard(async () => {
      // The same rules as inviteKind and inviteStatus in invite.ts.
      const invites = await query<{ kind: string; status: string; count: number }>(this.#pool, "stats-invites",
        `SELECT CASE
                  WHEN type = 'contact' AND allow_registration THEN 'contact+register'
                  WHEN type = 'account' AND groups <> '[]' THEN 'group'
                  ELSE type END AS kind,
                CASE
                  WHEN revoked_at IS NOT NULL THEN 'revoked'
                  WHEN uses >= max_uses THEN 'used'
                  WHEN expires_at <= $1 THEN 'expired'
                  ELSE 'active' END AS status,
                count(*) AS count
         FROM invites GROUP BY 1, 2 ORDER BY 1, 2`, [now]);
      const claims = await query<{ count: number }>(this.#pool, "stats-claims", "SELECT count(*) AS count FROM claims");
      const roster = await query<{ queued: number; failing: number }>(this.#pool, "stats-roster",
        "SELECT count(*) AS queued, count(*) FILTER (WHERE attempts > 0) AS failing FROM roster_tasks WHERE done_at IS NULL");
      const redemptions = await query<{ door: string; action: string; count: number }>(this.#pool, "stats-redemptions",
        "SELECT door, action, count(*) AS count FROM redemptions GROUP BY door, action ORDER BY door, action");
      return {
        invites: invites.rows,
        pendingClaims: claims.rows[0]?.count ?? 0,
        rosterStepsQueued: roster.rows[0]?.queued ?? 0,
        rosterStepsFailing: roster.rows[0]?.failing ?? 0,
        redemptions: redemptions.rows,
      };
    });
  }
}
