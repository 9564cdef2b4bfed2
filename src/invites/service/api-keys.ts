// API keys for the HTTP API: shown once at creation, stored as a SHA-256 hash, compared in
// constant time, revocable. A key reads `xi_<id>_<secret>`; the id alone is not secret.
import { timingSafeEqual } from "node:crypto";
import { AppError } from "../../errors.js";
import type { Clock } from "../domain/clock.js";
import type { ApiKey, ApiKeyStore } from "../ports/store.js";
import { generateInviteId, generateToken, hashToken } from "../domain/token.js";

export type { ApiKey } from "../ports/store.js";

const KEY_RE = /^xi_([a-z2-9]{8})_([A-Za-z0-9]{24})$/;

export class ApiKeyService {
  readonly #store: ApiKeyStore;
  readonly #clock: Clock;

  constructor(store: ApiKeyStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  async create(name: string, options: { readOnly?: boolean } = {}): Promise<{ key: ApiKey; secret: string }> {
    const clean = name.trim();
    if (clean.length === 0 || clean.length > 100 || /\p{Cc}/u.test(clean)) {
      throw new AppError("invalid-argument", "An API key needs a name of 1 to 100 printable characters");
    }
    const secret = generateToken();
    for (;;) {
      const id = generateInviteId();
      if (await this.#store.insert({ id, name: clean, secretHash: hashToken(secret), readOnly: options.readOnly === true, createdAt: this.#clock.now() })) {
        return { key: await this.get(id), secret: `xi_${id}_${secret}` };
      }
    }
  }

  /** The key a bearer token belongs to, if it is valid and not revoked. */
  async verify(presented: string): Promise<ApiKey | undefined> {
    const match = KEY_RE.exec(presented);
    if (!match) return undefined;
    const found = await this.#store.find(match[1] ?? "");
    if (!found || found.key.revokedAt !== null) return undefined;
    if (!timingSafeEqual(found.secretHash, hashToken(match[2] ?? ""))) return undefined;
    await this.#store.markUsed(found.key.id, this.#clock.now());
    return found.key;
  }

  async get(id: string): Promise<ApiKey> {
    const found = await this.#store.find(id);
    if (!found) throw new AppError("api-key-not-found", id);
    return found.key;
  }

  list(): Promise<ApiKey[]> {
    return this.#store.list();
  }

  async revoke(id: string): Promise<ApiKey> {
    await this.get(id);
    await this.#store.revoke(id, this.#clock.now());
    return this.get(id);
  }
}
