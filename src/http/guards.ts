// Protections for the web form: a CSRF token bound to the invite, a same-origin check, and a rate
// limit per client address.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { RateLimitStore, WindowCount } from "../invites/ports/store.js";

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

/** The store's counters under the limit's name, where the HTTP door has a store. */
export function sharedHits(deps: { readonly rateLimits?: RateLimitStore | undefined }, name: string): SharedHits | undefined {
  const store = deps.rateLimits;
  return store ? { name, hit: (key, now, windowMs) => store.hit(key, now, windowMs), sweep: (now) => store.sweep(now) } : undefined;
}

/** Where a limiter's counts live when several instances share them (the store's rate_limits). */
export interface SharedHits {
  /** The limit's name, kept apart from the other limits' keys. */
  readonly name: string;
  hit(key: string, now: number, windowMs: number): Promise<WindowCount>;
  sweep(now: number): Promise<number>;
}

/** One counted attempt: allowed, or refused with the seconds until the key may try again (at least 1). */
export type RateVerdict = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

/**
 * A fixed-window counter per key: in the shared store when given (the limit holds across every
 * instance), else in memory, bounded. When the store fails, this process's own count decides.
 */
export class RateLimiter {
  readonly #hits = new Map<string, { count: number; resetAt: number }>();
  readonly #max: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #shared: SharedHits | undefined;
  #sweptAt = 0;

  constructor(max: number, windowMs: number, now: () => number = Date.now, shared?: SharedHits) {
    this.#max = max;
    this.#windowMs = windowMs;
    this.#now = now;
    this.#shared = shared;
  }

  /** Counts one attempt; over the limit, the real wait (what a 429's Retry-After and its text say). */
  async take(key: string): Promise<RateVerdict> {
    const now = this.#now();
    const counted = (await this.#takeShared(key, now)) ?? this.#takeHere(key, now);
    if (counted.hits <= this.#max) return { ok: true };
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((counted.resetAt - now) / 1000)) };
  }

  async #takeShared(key: string, now: number): Promise<WindowCount | undefined> {
    if (!this.#shared) return undefined;
    try {
      const counted = await this.#shared.hit(`${this.#shared.name}:${key}`, now, this.#windowMs);
      this.#sweepShared(now);
      return counted;
    } catch {
      // The work that follows meets the same store and answers storage-unavailable.
      return undefined;
    }
  }

  #takeHere(key: string, now: number): WindowCount {
    const entry = this.#hits.get(key);
    if (!entry || entry.resetAt <= now) {
      if (this.#hits.size >= 10_000) this.#sweep(now);
      this.#hits.set(key, { count: 1, resetAt: now + this.#windowMs });
      return { hits: 1, resetAt: now + this.#windowMs };
    }
    entry.count += 1;
    return { hits: entry.count, resetAt: entry.resetAt };
  }

  /** Ended windows leave the store once per window length, in the background. */
  #sweepShared(now: number): void {
    if (now - this.#sweptAt < this.#windowMs) return;
    this.#sweptAt = now;
    this.#shared?.sweep(now).catch(() => undefined);
  }

  #sweep(now: number): void {
    for (const [key, entry] of this.#hits) if (entry.resetAt <= now) this.#hits.delete(key);
    if (this.#hits.size >= 10_000) this.#hits.clear();
  }
}
