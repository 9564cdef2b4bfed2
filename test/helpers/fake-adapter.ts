// In-memory adapters for unit tests: accounts and rosters in Maps, with switchable failures.
import type { Account, AccountCheck, ChangePasswordResult, CreateAccountResult, ServerAdapter } from "../../src/invites/ports/server.js";
import type { RosterResult, RosterWriter, SubscribedItem } from "../../src/invites/ports/roster.js";

export class FakeAdapter implements ServerAdapter {
  readonly kind = "fake";
  readonly accounts = new Map<string, string>();
  /** When set, the next calls answer this instead of doing the work. */
  failWith: CreateAccountResult | Error | undefined;
  /** Milliseconds each call takes, to let concurrent calls overlap. */
  delayMs = 0;
  calls = 0;
  /** When set, accountExists answers "unknown" with this detail. */
  cannotTell: string | undefined;
  /** When true, createAccount does the work and then answers "unavailable" (a reply lost in a timeout). */
  loseReply = false;

  async accountExists(username: string): Promise<AccountCheck> {
    if (this.cannotTell !== undefined) return { exists: "unknown", detail: this.cannotTell };
    return { exists: this.accounts.has(username) };
  }

  async createAccount(account: Account): Promise<CreateAccountResult> {
    this.calls += 1;
    if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.failWith instanceof Error) throw this.failWith;
    if (this.failWith) return this.failWith;
    if (this.accounts.has(account.username)) return { ok: false, reason: "exists", detail: "Account already exists" };
    this.accounts.set(account.username, account.password);
    return this.loseReply ? { ok: false, reason: "unavailable", detail: "timed out" } : { ok: true };
  }

  async changePassword(account: Account): Promise<ChangePasswordResult> {
    this.calls += 1;
    if (this.failWith instanceof Error) throw this.failWith;
    if (this.failWith && !this.failWith.ok) return { ok: false, reason: this.failWith.reason === "exists" ? "rejected" : this.failWith.reason };
    if (!this.accounts.has(account.username)) return { ok: false, reason: "missing", detail: "User does not exist" };
    this.accounts.set(account.username, account.password);
    return { ok: true };
  }

  async deleteAccount(username: string): Promise<ChangePasswordResult> {
    this.calls += 1;
    return this.accounts.delete(username) ? { ok: true } : { ok: false, reason: "missing" };
  }
}

export class FakeRoster implements RosterWriter {
  readonly kind = "fake-roster";
  readonly rosters = new Map<string, Map<string, SubscribedItem>>();
  available = true;
  /** Fail this many calls before succeeding. */
  failures = 0;
  calls = 0;

  isAvailable(): boolean {
    return this.available;
  }

  async setSubscribed(owner: string, item: SubscribedItem): Promise<RosterResult> {
    this.calls += 1;
    if (this.failures > 0) {
      this.failures -= 1;
      return { ok: false, reason: "unavailable", detail: "simulated outage" };
    }
    const roster = this.rosters.get(owner) ?? new Map<string, SubscribedItem>();
    roster.set(item.jid, item);
    this.rosters.set(owner, roster);
    return { ok: true };
  }

  items(owner: string): SubscribedItem[] {
    return [...(this.rosters.get(owner)?.values() ?? [])];
  }
}
