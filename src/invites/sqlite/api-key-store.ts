// The api_keys table, statements prepared once.
import type { Statement } from "better-sqlite3";
import type { ApiKey } from "../store-ports.js";
import { type Db, isPrimaryKeyViolation } from "./database.js";

interface Row {
  id: string;
  name: string;
  secret_hash: Buffer;
  read_only: number;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

const COLUMNS = "id, name, secret_hash, read_only, created_at, last_used_at, revoked_at";

const toKey = (row: Row): ApiKey => ({
  id: row.id,
  name: row.name,
  readOnly: row.read_only === 1,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
});

export class ApiKeyStore {
  readonly #insert: Statement;
  readonly #byId: Statement<[string], Row>;
  readonly #all: Statement<[], Row>;
  readonly #used: Statement;
  readonly #revoke: Statement;

  constructor(db: Db) {
    this.#insert = db.prepare(`INSERT INTO api_keys (id, name, secret_hash, read_only, created_at) VALUES (?, ?, ?, ?, ?)`);
    this.#byId = db.prepare(`SELECT ${COLUMNS} FROM api_keys WHERE id = ?`);
    this.#all = db.prepare(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at, id`);
    this.#used = db.prepare(`UPDATE api_keys SET last_used_at = ? WHERE id = ?`);
    this.#revoke = db.prepare(`UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`);
  }

  /** False when the id is already taken (the caller picks another). */
  insert(key: { id: string; name: string; secretHash: Buffer; readOnly: boolean; createdAt: number }): boolean {
    try {
      this.#insert.run(key.id, key.name, key.secretHash, key.readOnly ? 1 : 0, key.createdAt);
      return true;
    } catch (err) {
      if (isPrimaryKeyViolation(err)) return false;
      throw err;
    }
  }

  /** The key and its secret's hash. */
  find(id: string): { key: ApiKey; secretHash: Buffer } | undefined {
    const row = this.#byId.get(id);
    return row && { key: toKey(row), secretHash: row.secret_hash };
  }

  list(): ApiKey[] {
    return this.#all.all().map(toKey);
  }

  markUsed(id: string, now: number): void {
    this.#used.run(now, id);
  }

  revoke(id: string, now: number): void {
    this.#revoke.run(now, id);
  }
}
