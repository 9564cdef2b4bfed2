// Protections for the web form: a CSRF token bound to the invite, a same-origin check, and a rate
// limit per client address.
import { createHmac, timingSafeEqual } from "node:crypto";

/** Stateless CSRF token: an HMAC of the invite token under a key only this service knows. */
export function csrfToken(key: string, inviteToken: string): string {
  return createHmac("sha256", key).update(`csrf:${inviteToken}`).digest("base64url");
}

export function isValidCsrf(key: string, inviteToken: string, presented: unknown): boolean {
  if (typeof presented !== "string") return false;
  const expected = Buffer.from(csrfToken(key, inviteToken));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * A short signed note a page can be shown again from (the success page after a form's redirect):
 * the payload in base64url JSON and an HMAC of it. It carries nothing secret, only what the page
 * says, and `exp` (ms) after which it is refused.
 */
export function signNote(key: string, payload: Record<string, unknown> & { exp: number }): string {
  const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
  return `${body}.${createHmac("sha256", key).update(`note:${body}`).digest("base64url")}`;
}

/** The note's payload when its signature holds, else undefined; `expired` when it is past `exp`. */
export function readNote(key: string, note: string, now: number): Record<string, unknown> | "expired" | undefined {
  const [body, mac, extra] = note.split(".");
  if (body === undefined || mac === undefined || extra !== undefined) return undefined;
  const expected = Buffer.from(createHmac("sha256", key).update(`note:${body}`).digest("base64url"));
  const given = Buffer.from(mac);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as unknown;
    if (typeof payload !== "object" || payload === null) return undefined;
    const record = payload as Record<string, unknown>;
    return typeof record["exp"] === "number" && record["exp"] > now ? record : "expired";
  } catch {
    return undefined;
  }
}

/** Browsers say where a request comes from; a cross-site form post is refused outright. */
export function isCrossSite(headers: Record<string, string | string[] | undefined>, host: string | undefined): boolean {
  const site = headers["sec-fetch-site"];
  if (typeof site === "string" && site !== "same-origin" && site !== "none") return true;
  const origin = headers["origin"];
  if (typeof origin === "string" && origin !== "null" && host !== undefined) {
    try {
      return new URL(origin).host !== host;
    } catch {
      return true;
    }
  }
  return false;
}

/** A fixed-window counter per key, bounded in memory. */
export class RateLimiter {
  readonly #hits = new Map<string, { count: number; resetAt: number }>();
  readonly #max: number;
  readonly #windowMs: number;
  readonly #now: () => number;

  constructor(max: number, windowMs: number, now: () => number = Date.now) {
    this.#max = max;
    this.#windowMs = windowMs;
    this.#now = now;
  }

  /** Counts one attempt; false when the key is over its limit. */
  take(key: string): boolean {
    const now = this.#now();
    const entry = this.#hits.get(key);
    if (!entry || entry.resetAt <= now) {
      if (this.#hits.size >= 10_000) this.#sweep(now);
      this.#hits.set(key, { count: 1, resetAt: now + this.#windowMs });
      return true;
    }
    entry.count += 1;
    return entry.count <= this.#max;
  }

  /** Seconds until `key` may try again (at least 1): what a 429's Retry-After and its text say. */
  retryAfterSeconds(key: string): number {
    const entry = this.#hits.get(key);
    return Math.max(1, Math.ceil(((entry?.resetAt ?? 0) - this.#now()) / 1000));
  }

  #sweep(now: number): void {
    for (const [key, entry] of this.#hits) if (entry.resetAt <= now) this.#hits.delete(key);
    if (this.#hits.size >= 10_000) this.#hits.clear();
  }
}
