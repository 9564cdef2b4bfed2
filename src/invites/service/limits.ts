// Limits on what a user (not an admin) may invite: invites that can still be used, invites made
// per day, and invitation chains and trees (an account created through an invite that was created
// by an account created moments ago…), as ejabberd's mod_invites guards against. The store counts
// and inserts in one transaction, one at a time per user (InviteStore.insertLimited), so the
// limits hold however many requests arrive at once, on however many instances.
import { AppError } from "../../errors.js";
import type { InviteQuota, QuotaBreach } from "../ports/store.js";

export interface InviteLimitSettings {
  /** Invites of one user that can still be used (0: no limit). */
  readonly activePerUser: number;
  /** Invites one user may create in 24 hours (0: no limit). */
  readonly perUserPerDay: number;
  /** Longest chain of accounts, each invited by the previous one within `chainWindowMs`, a new invite may extend (0: no limit). */
  readonly chainDepth: number;
  readonly chainWindowMs: number;
  /** Accounts one invitation tree may hold (0: no limit). */
  readonly treeSize: number;
}

const DAY_MS = 86_400_000;

export class InviteLimits {
  readonly #limits: InviteLimitSettings;

  constructor(options: { limits: InviteLimitSettings }) {
    this.#limits = options.limits;
  }

  get settings(): InviteLimitSettings {
    return this.#limits;
  }

  /** What a user's invite created at `now` must stay within; undefined when every limit is off. */
  quota(now: number): InviteQuota | undefined {
    const { activePerUser, perUserPerDay, chainDepth, chainWindowMs, treeSize } = this.#limits;
    if (activePerUser <= 0 && perUserPerDay <= 0 && chainDepth <= 0 && treeSize <= 0) return undefined;
    return {
      maxActive: activePerUser,
      maxCreated: perUserPerDay,
      createdSince: now - DAY_MS,
      maxChain: chainDepth,
      chainSince: now - chainWindowMs,
      maxTree: treeSize,
    };
  }

  /** The registry's error for a limit the new invite would break. */
  refusal(breach: QuotaBreach): AppError {
    const { activePerUser, perUserPerDay, chainWindowMs, treeSize } = this.#limits;
    switch (breach.limit) {
      case "active":
        return new AppError("invite-limit", `You have ${activePerUser} invites that can still be used, the most allowed; wait until one is used or expires, or ask an admin to revoke one`);
      case "created":
        return new AppError("invite-limit", `You have created ${perUserPerDay} invites in the last 24 hours, the most allowed; please try again later`);
      case "chain":
        return new AppError("invite-chain-limit", `Your account comes at the end of a chain of ${breach.count} invites made within ${Math.round(chainWindowMs / 1000)} seconds; please try again later`);
      case "tree":
        return new AppError("invite-chain-limit", `The invitation tree your account belongs to has reached ${treeSize} accounts, the most allowed; an admin can still invite`);
    }
  }
}
