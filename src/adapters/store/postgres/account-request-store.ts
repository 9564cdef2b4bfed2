// The account_requests table on PostgreSQL.
import type { AccountRequest, AccountRequestStore, NewAccountRequest, RequestDecisionRecord, StoredRequest } from "../../../invites/ports/store.js";
import { type Pool, type Queryable, guard, query, transaction } from "./database.js";
import { LOCK_SPACE, REQUESTS_KEY } from "./locks.js";
import { ACCOUNT_REQUEST_COLUMNS, type AccountRequestRow, toAccountRequest, toStoredRequest } from "../rows.js";

async function countPending(db: Queryable, now: number): Promise<number> {
  const { rows } = await query<{ n: number }>(db, "requests-count-pending", "SELECT count(*) AS n FROM account_requests WHERE status = 'pending' AND expires_at > $1", [now]);
  return rows[0]?.n ?? 0;
}

async function purge(db: Queryable, before: number): Promise<number> {
  return (await query(db, "requests-purge", "DELETE FROM account_requests WHERE coalesce(decided_at, expires_at) < $1", [before])).rowCount ?? 0;
}

export class PostgresAccountRequestStore implements AccountRequestStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  submit(request: NewAccountRequest, limits: { now: number; maxPending: number; purgeBefore: number }): Promise<"inserted" | "id-taken" | "full" | "exists"> {
    return guard(() => transaction(this.#pool, async (client) => {
      // Submissions take turns, so two at once cannot both pass the limits (SQLite: one writer).
      await query(client, "requests-lock", "SELECT pg_advisory_xact_lock($1, $2)", [LOCK_SPACE, REQUESTS_KEY]);
      await purge(client, limits.purgeBefore);
      if ((await countPending(client, limits.now)) >= limits.maxPending) return "full";
      const { rows } = await query(client, "requests-pending-for",
        "SELECT 1 FROM account_requests WHERE username = $1 AND status = 'pending' AND expires_at > $2 LIMIT 1", [request.username, limits.now]);
      if (rows.length > 0) return "exists";
      const inserted = await query(client, "requests-insert",
        `INSERT INTO account_requests (id, status_hash, sealing_key, username, message, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO NOTHING`,
        [request.id, request.statusHash, request.sealingKey, request.username, request.message, request.createdAt, request.expiresAt]);
      return inserted.rowCount === 1 ? "inserted" : "id-taken";
    }));
  }

  byId(id: string): Promise<StoredRequest | undefined> {
    return guard(async () => {
      const { rows } = await query<AccountRequestRow>(this.#pool, "request-by-id", `SELECT ${ACCOUNT_REQUEST_COLUMNS} FROM account_requests WHERE id = $1`, [id]);
      return rows[0] && toStoredRequest(rows[0]);
    });
  }

  byStatusHash(hash: Buffer): Promise<StoredRequest | undefined> {
    return guard(async () => {
      const { rows } = await query<AccountRequestRow>(this.#pool, "request-by-hash", `SELECT ${ACCOUNT_REQUEST_COLUMNS} FROM account_requests WHERE status_hash = $1`, [hash]);
      return rows[0] && toStoredRequest(rows[0]);
    });
  }

  list(options: { pendingAt?: number | undefined; limit: number }): Promise<AccountRequest[]> {
    return guard(async () => {
      const { rows } = options.pendingAt === undefined
        ? await query<AccountRequestRow>(this.#pool, "requests-all", `SELECT ${ACCOUNT_REQUEST_COLUMNS} FROM account_requests ORDER BY created_at DESC, id LIMIT $1`, [options.limit])
        : await query<AccountRequestRow>(this.#pool, "requests-pending",
          `SELECT ${ACCOUNT_REQUEST_COLUMNS} FROM account_requests WHERE status = 'pending' AND expires_at > $1 ORDER BY created_at, id LIMIT $2`, [options.pendingAt, options.limit]);
      return rows.map(toAccountRequest);
    });
  }

  countPending(now: number): Promise<number> {
    return guard(() => countPending(this.#pool, now));
  }

  decide(id: string, decision: RequestDecisionRecord, now: number): Promise<boolean> {
    return guard(async () => {
      const result = await query(this.#pool, "request-decide",
        `UPDATE account_requests SET status = $1, decided_at = $2, decided_by = $3, invite_id = $4, sealed_token = $5
         WHERE id = $6 AND status = 'pending' AND expires_at > $7`,
        [decision.status, decision.at, decision.by, decision.inviteId, decision.sealedToken, id, now]);
      return result.rowCount === 1;
    });
  }

  purge(before: number): Promise<number> {
    return guard(() => purge(this.#pool, before));
  }
}
