// The api_keys table, statements prepared once.
import type { Statement } from "better-sqlite3";
import type { ApiKey } from "../../../invites/ports/store.js";
import { type Db, isPrimaryKeyViolation } from "./database.js";
import { API_KEY_COLUMNS, type ApiKeyRow, toApiKey } from "../rows.js";

export class SqliteApiKeyStore {
  readonly #insert: Statement;
  readonly #byId: Statement<[string], ApiKeyRow>;
  readonly #all: Statement<[], ApiKeyRow>;
  readonly #used: Statement;
  readonly #revoke: Statement;

  constructor(db: Db) {
    this.#insert = db.prepare(`INSERT INTO api_keys (id, name, secret_hash, read_only, created_at) VALUES (?, ?, ?, ?, ?)`);
    this.#byId = db.prepare(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE id = ?`);
    this.#all = db.prepare(`SELECT ${API_KEY_COLUMNS} FROM api_keys ORDER BY created_at, id`);
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
    return row && { key: toApiKey(row), secretHash: row.secret_hash };
  }

  list(): ApiKey[] {
    return this.#all.all().map(toApiKey);
  }

  markUsed(id: string, now: number): void {
    this.#used.run(now, id);
  }

  revoke(id: string, now: number): void {
    this.#revoke.run(now, id);
  }
}
