// Limits on what a user (not an admin) may invite: invites that can still be used, invites made
// per day, and invitation chains and trees (an account created through an invite that was created
// by an account created moments ago…), as ejabberd's mod_invites guards against.
import { AppError } from "../errors.js";
import type { Clock } from "./clock.js";
import type { InvitationStore } from "./store-ports.js";
import { isAccountJid } from "../protocol/jid.js";

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
  readonly #store: InvitationStore;
  readonly #clock: Clock;
  readonly #limits: InviteLimitSettings;

  constructor(options: { store: InvitationStore; clock: Clock; limits: InviteLimitSettings }) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#limits = options.limits;
  }

  get settings(): InviteLimitSettings {
    return this.#limits;
  }

  /** Throws the registry's error when `creator` (a user's bare JID, not an admin) may not create another invite now. */
  async check(creator: string): Promise<void> {
    const now = this.#clock.now();
    const { activePerUser, perUserPerDay, chainDepth, chainWindowMs, treeSize } = this.#limits;
    if (activePerUser > 0 && (await this.#store.activeInvites(creator, now)) >= activePerUser) {
      throw new AppError("invite-limit", `You have ${activePerUser} invites that can still be used, the most allowed; wait until one is used or expires, or ask an admin to revoke one`);
    }
    if (perUserPerDay > 0 && (await this.#store.invitesCreatedSince(creator, now - DAY_MS)) >= perUserPerDay) {
      throw new AppError("invite-limit", `You have created ${perUserPerDay} invites in the last 24 hours, the most allowed; please try again later`);
    }
    if (chainDepth > 0) {
      const links = await this.recentChain(creator, now);
      if (links + 1 > chainDepth) {
        throw new AppError("invite-chain-limit", `Your account comes at the end of a chain of ${links} invites made within ${Math.round(chainWindowMs / 1000)} seconds; please try again later`);
      }
    }
    if (treeSize > 0 && (await this.#store.treeSize(await this.#store.rootOf(creator))) >= treeSize) {
      throw new AppError("invite-chain-limit", `The invitation tree your account belongs to has reached ${treeSize} accounts, the most allowed; an admin can still invite`);
    }
  }

  /** How many accounts up from `jid` were each created through an invite within the window. */
  async recentChain(jid: string, now: number): Promise<number> {
    let links = 0;
    let current = jid;
    const seen = new Set([jid]);
    for (;;) {
      const up = await this.#store.invitedAs(current);
      if (!up || up.at <= now - this.#limits.chainWindowMs) return links;
      links += 1;
      if (!isAccountJid(up.inviter) || seen.has(up.inviter)) return links;
      seen.add(up.inviter);
      current = up.inviter;
    }
  }
}
