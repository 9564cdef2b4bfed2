// An in-memory ServerAdapter for unit tests: accounts in a Map, with switchable failures.
import type { Account, CreateAccountResult, ServerAdapter } from "../../src/adapters/adapter.js";

export class FakeAdapter implements ServerAdapter {
  readonly kind = "fake";
  readonly accounts = new Map<string, string>();
  /** When set, the next calls answer this instead of creating the account. */
  failWith: CreateAccountResult | Error | undefined;
  /** Milliseconds each call takes, to let concurrent calls overlap. */
  delayMs = 0;
  calls = 0;

  async createAccount(account: Account): Promise<CreateAccountResult> {
    this.calls += 1;
    if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.failWith instanceof Error) throw this.failWith;
    if (this.failWith) return this.failWith;
    if (this.accounts.has(account.username)) return { ok: false, reason: "exists", detail: "Account already exists" };
    this.accounts.set(account.username, account.password);
    return { ok: true };
  }
}
