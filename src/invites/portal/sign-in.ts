// Signing in to the web portal: the host server checks the password (PasswordCheck), a new session
// is kept in the store (only its id's hash), and failures are counted per account and per address
// in the store, so the limit on guessing holds across every instance sharing the database.
import type { Clock } from "../domain/clock.js";
import { generateToken, hashToken } from "../domain/token.js";
import { normalizeUsername } from "../domain/username.js";
import type { PasswordCheck } from "../ports/password.js";
import type { PortalSession, PortalSessionStore } from "../ports/store.js";

/** At most this many failed sign-ins per account and per address within FAILURE_WINDOW_MS. */
export const MAX_FAILURES = 10;
export const FAILURE_WINDOW_MS = 15 * 60_000;

export type SignInResult =
  | { readonly ok: true; readonly sessionId: string; readonly session: PortalSession }
  /** Wrong password and unknown user alike. */
  | { readonly ok: false; readonly reason: "refused" }
  | { readonly ok: false; readonly reason: "limited"; readonly waitMs: number }
  | { readonly ok: false; readonly reason: "unavailable" };

export class PortalSignIn {
  readonly #store: PortalSessionStore;
  readonly #check: PasswordCheck;
  readonly #clock: Clock;
  readonly #domain: string;
  readonly #sessionMs: number;

  constructor(options: { store: PortalSessionStore; check: PasswordCheck; clock: Clock; domain: string; sessionMs: number }) {
    this.#store = options.store;
    this.#check = options.check;
    this.#clock = options.clock;
    this.#domain = options.domain;
    this.#sessionMs = options.sessionMs;
  }

  /**
   * Checks the password with the server unless the account or the address is over its limit,
   * and opens a new session on success. `address` is the client's IP address.
   */
  async signIn(input: { username: string; password: string; address: string }): Promise<SignInResult> {
    const now = this.#clock.now();
    const since = now - FAILURE_WINDOW_MS;
    await this.#store.purge(now, since);
    // A full JID is taken at its localpart when it names this domain.
    const typed = input.username.trim().replace(new RegExp(`@${this.#domain.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "i"), "");
    const name = normalizeUsername(typed);
    const subjects = [`ip:${input.address}`, `user:${name.ok ? name.username : typed.toLowerCase()}`];
    const wait = await this.#wait(subjects, since, now);
    if (wait > 0) return { ok: false, reason: "limited", waitMs: wait };
    const verdict = name.ok && input.password !== "" ? await this.#check.check(name.username, input.password) : "invalid";
    if (verdict === "unavailable") return { ok: false, reason: "unavailable" };
    if (verdict === "invalid" || !name.ok) {
      await this.#store.noteFailure(subjects, now);
      return { ok: false, reason: "refused" };
    }
    const sessionId = generateToken() + generateToken();
    const session = { jid: `${name.username}@${this.#domain.toLowerCase()}`, createdAt: now, expiresAt: now + this.#sessionMs };
    await this.#store.create(hashToken(sessionId), session);
    return { ok: true, sessionId, session };
  }

  /** How long until every subject is under the limit again (0: now). */
  async #wait(subjects: readonly string[], since: number, now: number): Promise<number> {
    let wait = 0;
    for (const subject of subjects) {
      const { count, nthNewestAt } = await this.#store.failures(subject, since, MAX_FAILURES);
      if (count >= MAX_FAILURES && nthNewestAt !== undefined) wait = Math.max(wait, nthNewestAt + FAILURE_WINDOW_MS - now);
    }
    return wait;
  }

  /** The session behind a cookie's id, while it lasts. */
  async session(sessionId: string): Promise<PortalSession | undefined> {
    if (!/^[A-Za-z0-9]{48}$/.test(sessionId)) return undefined;
    return this.#store.find(hashToken(sessionId), this.#clock.now());
  }

  async signOut(sessionId: string): Promise<void> {
    if (sessionId !== "") await this.#store.delete(hashToken(sessionId));
  }
}
