// API keys for the HTTP API: shown once at creation, stored as a SHA-256 hash, compared in
// constant time, revocable. A key reads `xi_<id>_<secret>`; the id alone is not secret.
import { timingSafeEqual } from "node:crypto";
import { AppError } from "../errors.js";
import type { Clock } from "./clock.js";
import type { Db } from "./database.js";
import { generateInviteId, generateToken, hashToken } from "./token.js";

export interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly readOnly: boolean;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
}

interface Row {
  id: string;
  name: string;
  secret_hash: Buffer;
  read_only: number;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

const toKey = (row: Row): ApiKey => ({
  id: row.id,
  name: row.name,
  readOnly: row.read_only === 1,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
});

const KEY_RE = /^xi_([a-z2-9]{8})_([A-Za-z0-9]{24})$/;

export class ApiKeyService {
  readonly #db: Db;
  readonly #clock: Clock;

  constructor(db: Db, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  create(name: string, options: { readOnly?: boolean } = {}): { key: ApiKey; secret: string } {
    const clean = name.trim();
    if (clean.length === 0 || clean.length > 100 || /\p{Cc}/u.test(clean)) {
      throw new AppError("invalid-argument", "An API key needs a name of 1 to 100 printable characters");
    }
    const secret = generateToken();
    for (;;) {
      const id = generateInviteId();
      try {
        this.#db.prepare(`INSERT INTO api_keys (id, name, secret_hash, read_only, created_at) VALUES (?, ?, ?, ?, ?)`)
          .run(id, clean, hashToken(secret), options.readOnly ? 1 : 0, this.#clock.now());
      } catch (err) {
        if ((err as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY") continue;
        throw err;
      }
      return { key: this.get(id), secret: `xi_${id}_${secret}` };
    }
  }

  /** The key a bearer token belongs to, if it is valid and not revoked. */
  verify(presented: string): ApiKey | undefined {
    const match = KEY_RE.exec(presented);
    if (!match) return undefined;
    const row = this.#db.prepare(`SELECT * FROM api_keys WHERE id = ?`).get(match[1]) as Row | undefined;
    if (!row || row.revoked_at !== null) return undefined;
    if (!timingSafeEqual(row.secret_hash, hashToken(match[2] ?? ""))) return undefined;
    this.#db.prepare(`UPDATE api_keys SET last_used_at = ? WHERE id = ?`).run(this.#clock.now(), row.id);
    return toKey(row);
  }

  get(id: string): ApiKey {
    const row = this.#db.prepare(`SELECT * FROM api_keys WHERE id = ?`).get(id) as Row | undefined;
    if (!row) throw new AppError("api-key-not-found", id);
    return toKey(row);
  }

  list(): ApiKey[] {
    return (this.#db.prepare(`SELECT * FROM api_keys ORDER BY created_at, id`).all() as Row[]).map(toKey);
  }

  revoke(id: string): ApiKey {
    const key = this.get(id);
    if (key.revokedAt === null) this.#db.prepare(`UPDATE api_keys SET revoked_at = ? WHERE id = ?`).run(this.#clock.now(), id);
    return this.get(id);
  }
}
