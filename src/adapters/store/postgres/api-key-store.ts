// The api_keys table on PostgreSQL.
import type { ApiKey, ApiKeyStore } from "../../../invites/ports/store.js";
import { type Pool, guard, isUniqueViolation, query } from "./database.js";
import { API_KEY_COLUMNS, type ApiKeyRow, toApiKey } from "../rows.js";

export class PostgresApiKeyStore implements ApiKeyStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  insert(key: { id: string; name: string; secretHash: Buffer; readOnly: boolean; createdAt: number }): Promise<boolean> {
    return guard(async () => {
      try {
        await query(this.#pool, "key-insert", "INSERT INTO api_keys (id, name, secret_hash, read_only, created_at) VALUES ($1, $2, $3, $4, $5)",
          [key.id, key.name, key.secretHash, key.readOnly, key.createdAt]);
        return true;
      } catch (err) {
        if (isUniqueViolation(err, "api_keys_pkey")) return false;
        throw err;
      }
    });
  }

  find(id: string): Promise<{ key: ApiKey; secretHash: Buffer } | undefined> {
    return guard(async () => {
      const { rows } = await query<ApiKeyRow>(this.#pool, "key-by-id", `SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE id = $1`, [id]);
      const row = rows[0];
      return row && { key: toApiKey(row), secretHash: row.secret_hash };
    });
  }

  list(): Promise<ApiKey[]> {
    return guard(async () => (await query<ApiKeyRow>(this.#pool, "keys-all", `SELECT ${API_KEY_COLUMNS} FROM api_keys ORDER BY created_at, id`)).rows.map(toApiKey));
  }

  markUsed(id: string, now: number): Promise<void> {
    return guard(async () => {
      await query(this.#pool, "key-used", "UPDATE api_keys SET last_used_at = $1 WHERE id = $2", [now, id]);
    });
  }

  revoke(id: string, now: number): Promise<void> {
    return guard(async () => {
      await query(this.#pool, "key-revoke", "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", [now, id]);
    });
  }
}
