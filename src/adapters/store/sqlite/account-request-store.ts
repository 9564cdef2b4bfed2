// The account_requests table (and the consent time on redemptions), statements prepared once.
import type { Statement } from "better-sqlite3";
import type { AccountRequest, NewAccountRequest, RequestDecisionRecord, StoredRequest } from "../../../invites/ports/store.js";
import { type Db, isPrimaryKeyViolation } from "./database.js";
import { ACCOUNT_REQUEST_COLUMNS, type AccountRequestRow, toAccountRequest, toStoredRequest } from "../rows.js";

/** Synchronous; the core sees it through the async AccountRequestStore port (see index.ts). */
export class SqliteAccountRequestStore {
  readonly #db: Db;
  readonly #insert: Statement;
  readonly #byId: Statement<[string], AccountRequestRow>;
  readonly #byHash: Statement<[Buffer], AccountRequestRow>;
  readonly #pending: Statement<[number, number], AccountRequestRow>;
  readonly #all: Statement<[number], AccountRequestRow>;
  readonly #countPending: Statement<[number], { n: number }>;
  readonly #pendingFor: Statement<[string, number], { n: number }>;
  readonly #decide: Statement;
  readonly #purge: Statement;

  constructor(db: Db) {
    this.#db = db;
    this.#insert = db.prepare(`INSERT INTO account_requests (id, status_hash, sealing_key, username, message, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.#byId = db.prepare(`SELECT ${ACCOUNT_REQUEST_COLUMNS} FROM account_requests WHERE id = ?`);
    this.#byHash = db.prepare(`SELECT ${ACCOUNT_REQUEST_COLUMNS} FROM account_requests WHERE status_hash = ?`);
    this.#pending = db.prepare(`SELECT ${ACCOUNT_REQUEST_COLUMNS} FROM account_requests WHERE status = 'pending' AND expires_at > ? ORDER BY created_at, id LIMIT ?`);
    this.#all = db.prepare(`SELECT ${ACCOUNT_REQUEST_COLUMNS} FROM account_requests ORDER BY created_at DESC, id LIMIT ?`);
    this.#countPending = db.prepare(`SELECT count(*) AS n FROM account_requests WHERE status = 'pending' AND expires_at > ?`);
    this.#pendingFor = db.prepare(`SELECT count(*) AS n FROM account_requests WHERE username = ? AND status = 'pending' AND expires_at > ?`);
    this.#decide = db.prepare(
      `UPDATE account_requests SET status = ?, decided_at = ?, decided_by = ?, invite_id = ?, sealed_token = ? WHERE id = ? AND status = 'pending' AND expires_at > ?`,
    );
    this.#purge = db.prepare(`DELETE FROM account_requests WHERE coalesce(decided_at, expires_at) < ?`);
  }

  /** See the port: one IMMEDIATE transaction (SQLite has one writer at a time). */
  submit(request: NewAccountRequest, limits: { now: number; maxPending: number; purgeBefore: number }): "inserted" | "id-taken" | "full" | "exists" {
    return this.#db.transaction(() => {
      this.purge(limits.purgeBefore);
      if (this.countPending(limits.now) >= limits.maxPending) return "full";
      if ((this.#pendingFor.get(request.username, limits.now)?.n ?? 0) > 0) return "exists";
      return this.#insertRow(request) ? "inserted" : "id-taken";
    }).immediate();
  }

  #insertRow(request: NewAccountRequest): boolean {
    try {
      this.#insert.run(request.id, request.statusHash, request.sealingKey, request.username, request.message, request.createdAt, request.expiresAt);
      return true;
    } catch (err) {
      if (isPrimaryKeyViolation(err)) return false;
      throw err;
    }
  }

  byId(id: string): StoredRequest | undefined {
    const row = this.#byId.get(id);
    return row && toStoredRequest(row);
  }

  byStatusHash(hash: Buffer): StoredRequest | undefined {
    const row = this.#byHash.get(hash);
    return row && toStoredRequest(row);
  }

  /** Pending ones (oldest first) when `pendingAt` is given, else all (newest first). */
  list(options: { pendingAt?: number | undefined; limit: number }): AccountRequest[] {
    const rows = options.pendingAt === undefined ? this.#all.all(options.limit) : this.#pending.all(options.pendingAt, options.limit);
    return rows.map(toAccountRequest);
  }

  countPending(now: number): number {
    return this.#countPending.get(now)?.n ?? 0;
  }

  decide(id: string, decision: RequestDecisionRecord, now: number): boolean {
    return this.#decide.run(decision.status, decision.at, decision.by, decision.inviteId, decision.sealedToken, id, now).changes === 1;
  }

  purge(before: number): number {
    return this.#purge.run(before).changes;
  }
}
