// XEP-0379 contact invites redeemed by accounts that already exist, on this server or another.
// The invitee proves control of the address by the stanza that carries the token: either the
// subscription request its own server delivers to the inviter's server (the Prosody bridge then
// approves it), or a command the invitee's session sends to the component (the server stamps
// `from`). Nobody can subscribe a third party by typing its address.
import type { Logger } from "pino";
import { AppError } from "../../errors.js";
import type { Clock } from "../domain/clock.js";
import type { InviteEvents } from "../domain/events.js";
import type { Door, Invite } from "../domain/invite.js";
import type { InviteService } from "../service/invite-service.js";
import type { ClaimStore, InvitationStore } from "../ports/store.js";
import { isAccountJid, parseJid } from "../../protocol/jid.js";

export class ContactInvites {
  readonly #invites: InviteService;
  readonly #claims: ClaimStore;
  readonly #store: InvitationStore;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #events: InviteEvents;
  readonly #onQueued: () => void;

  constructor(options: {
    invites: InviteService;
    claims: ClaimStore;
    store: InvitationStore;
    clock: Clock;
    log: Logger;
    events?: InviteEvents;
    /** Called when roster steps were queued, so they run promptly. */
    onQueued?: () => void;
  }) {
    this.#invites = options.invites;
    this.#claims = options.claims;
    this.#store = options.store;
    this.#clock = options.clock;
    this.#log = options.log;
    this.#events = options.events ?? {};
    this.#onQueued = options.onQueued ?? (() => undefined);
  }

  /** The contact invite behind `token`, if `invitee` (a bare JID) may accept it now. */
  async check(token: string, invitee: string, inviter?: string): Promise<Invite> {
    const validation = await this.#invites.validate(token);
    if (!validation.ok) throw new AppError("token-invalid", "", validation.reason);
    const { invite } = validation;
    if (invite.type !== "contact" || invite.inviter === null) throw new AppError("contact-invite-refused", "This invite is not a contact invite");
    if (inviter !== undefined && invite.inviter !== inviter.toLowerCase()) throw new AppError("token-invalid", "", "token-other-inviter");
    if (!isAccountJid(invitee)) throw new AppError("contact-invite-refused", "A contact invite is accepted by an account, such as juliet@example.org");
    if (bare(invitee) === invite.inviter) throw new AppError("contact-invite-refused", "This is your own invite: share it with the person you want to add");
    return invite;
  }

  /**
   * The bridge's step (XEP-0379 §3.4 at the inviter's server): reserves a use for `invitee`, whose
   * subscription request to `inviter` carried the token. Settled once the server approved it.
   */
  async claimForServer(token: string, invitee: string, inviter: string): Promise<string> {
    try {
      const invite = await this.check(token, invitee, inviter);
      const claimId = await this.#claims.claim(invite.id, bare(invitee), this.#clock.now(), { door: "bridge" });
      if (claimId === undefined) throw new AppError("token-invalid", "", "token-used");
      this.#log.info({ invite: invite.id, invitee: bare(invitee), door: "bridge" }, "contact invite claimed for the server");
      return claimId;
    } catch (err) {
      this.#refused("bridge", err);
      throw err;
    }
  }

  /** The server approved the subscription (consume) or did not (release). */
  settleServerClaim(claimId: string, invitee: string, outcome: "consume" | "release"): Promise<void> {
    return this.#settle(claimId, invitee, outcome);
  }

  /**
   * Claim settlement, when the server's consume or release never arrived: the server's roster
   * says whether the inviter approved the invitee, which is what the lost report would have said.
   */
  settleLost(claimId: string, invitee: string, approved: boolean): Promise<void> {
    return this.#settle(claimId, invitee, approved ? "consume" : "release");
  }

  async #settle(claimId: string, invitee: string, outcome: "consume" | "release"): Promise<void> {
    const stored = await this.#claims.findClaim(claimId);
    const invite = stored && (await this.#invites.get(stored.inviteId));
    if (!stored || !invite || stored.door !== "bridge" || invite.type !== "contact") throw new AppError("claim-not-found");
    if (stored.username !== bare(invitee)) throw new AppError("bad-request", "The claim was made for another address");
    if (outcome === "release") {
      await this.#claims.release(claimId);
      this.#log.info({ invite: invite.id, invitee: stored.username }, "the server did not approve the subscription; use released");
      return;
    }
    // The server wrote both rosters itself: nothing to queue.
    await this.#record(claimId, invite, stored.username, "bridge", false);
  }

  /**
   * An account of this server accepts a contact invite by sending it to the component: the use is
   * counted and the mutual subscription queued for the roster writer, in one transaction.
   */
  async accept(token: string, invitee: string, door: Door): Promise<Invite> {
    try {
      const invite = await this.check(token, invitee);
      const jid = bare(invitee);
      const claimId = await this.#claims.claim(invite.id, jid, this.#clock.now(), { door });
      if (claimId === undefined) throw new AppError("token-invalid", "", "token-used");
      await this.#record(claimId, invite, jid, door, true);
      this.#onQueued();
      return invite;
    } catch (err) {
      this.#refused(door, err);
      throw err;
    }
  }

  async #record(claimId: string, invite: Invite, invitee: string, door: Door, subscribe: boolean): Promise<void> {
    const inviter = invite.inviter ?? "";
    await this.#store.recordAcceptance(claimId, { inviter, invitee, kind: "contact", inviteId: invite.id, note: invite.note, at: this.#clock.now() }, {
      subscriptions: subscribe ? [{ a: inviter, b: invitee, groups: invite.groups }] : [],
      groups: [],
    });
    this.#log.info({ invite: invite.id, invitee, door }, "contact invite accepted");
    this.#events.contactAccepted?.(invite, invitee, door);
  }

  #refused(door: Door, err: unknown): void {
    if (err instanceof AppError) {
      this.#log.info({ code: err.code, reason: err.cause, door }, "contact invite refused");
      this.#events.refused?.(door, err.code === "token-invalid" && typeof err.cause === "string" ? err.cause : err.code);
    }
  }
}

function bare(jid: string): string {
  const parsed = parseJid(jid);
  return parsed === undefined ? jid : `${parsed.local}@${parsed.domain}`.toLowerCase();
}
