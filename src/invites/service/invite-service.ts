// InviteService: the invite life cycle (create, validate, claim, consume, release, revoke,
// list, purge). Pure domain: it speaks in invites and results, never in stanzas or HTTP.
import { AppError } from "../../errors.js";
import type { Clock } from "../domain/clock.js";
import type { InviteEvents } from "../domain/events.js";
import type { InviteLimits } from "./limits.js";
import { type Door, type Invite, type InviteType, type TokenRefusal, inviteStatus } from "../domain/invite.js";
import type { ClaimContext, ClaimStore, InviteStore, ListOptions, NewInvite, PendingClaim } from "../ports/store.js";
import { generateInviteId, generateToken, hashToken, isWellFormedToken } from "../domain/token.js";
import { inviteUri } from "../domain/uri.js";
import { normalizeUsername } from "../domain/username.js";
import { parseJid } from "../../protocol/jid.js";
import { checkXmlText } from "../../protocol/xml-text.js";

export interface InviteServiceOptions {
  readonly store: InviteStore;
  readonly claims: ClaimStore;
  readonly clock: Clock;
  /** The XMPP domain accounts are created on. */
  readonly domain: string;
  /** Default lifetime in seconds (config `invite_expiry`). */
  readonly defaultExpiry: number;
  readonly events?: InviteEvents;
  /**
   * How long a claim this process holds is left alone by settlement: longer than any registration
   * can take (adapter timeout plus a rollback), so only a claim whose caller vanished is settled.
   */
  readonly holdLimitMs?: number;
}

export interface CreateInvite {
  readonly type?: InviteType;
  /** account: the only username it may register; reset: the account whose password it resets. */
  readonly username?: string | undefined;
  /** contact (required) and account: the bare JID of a user of the domain, subscribed with the new account. */
  readonly inviter?: string | undefined;
  /** contact: whether it may also create an account (`;ibr=y`). */
  readonly allowRegistration?: boolean | undefined;
  readonly groups?: readonly string[] | undefined;
  /** Lifetime in seconds; the configured default when absent. */
  readonly expiresIn?: number | undefined;
  readonly maxUses?: number | undefined;
  readonly note?: string | undefined;
  readonly source?: string | undefined;
}

export interface CreatedInvite {
  readonly invite: Invite;
  /** Shown once: only its hash is stored. */
  readonly token: string;
  readonly uri: string;
}

export type Validation = { ok: true; invite: Invite } | { ok: false; reason: TokenRefusal };

/** A reserved use of an invite: consume it once the account exists, or release it. */
export interface Claim {
  readonly id: string;
  readonly invite: Invite;
}

/** Who asked for a claim: recorded with it, so settlement can record the use as the registration would have. */
export type { ClaimContext } from "../ports/store.js";

/** What settling one claim did. */
export type Settled =
  | { readonly action: "recorded"; readonly invite: Invite; readonly jid: string; readonly door: Door }
  | { readonly action: "released"; readonly why: "missing" | "ended" | "contact" | "no-username" | "recorded-elsewhere" | "invite-gone" }
  /** Nothing the server can be asked settles it (a password reset): it stays reserved until its reporter speaks or the invite ends. */
  | { readonly action: "waiting" };

/** What settling a claim needs the server to say. */
export type SettlementQuestion =
  | { readonly ask: "account"; readonly username: string }
  /** A contact invite accepted through the server's bridge: whether the inviter's roster approves the invitee. */
  | { readonly ask: "subscription"; readonly inviter: string; readonly invitee: string }
  | { readonly ask: "nothing" };

export const DEFAULT_HOLD_LIMIT_MS = 5 * 60_000;

const MAX_USES_LIMIT = 1_000_000;
/** Prosody's create_account_reset default: a reset link is short-lived. */
export const RESET_EXPIRY_SECONDS = 86400;
const MAX_GROUPS = 20;
const MAX_GROUP_LENGTH = 64;
const MAX_EXPIRY_SECONDS = 10 * 365 * 24 * 3600;
const MAX_NOTE_LENGTH = 1000;

export class InviteService {
  readonly #store: InviteStore;
  readonly #claims: ClaimStore;
  readonly #clock: Clock;
  readonly #domain: string;
  readonly #defaultExpiry: number;
  readonly #events: InviteEvents;
  /** Claims this process is still working on (claim id → since), which settlement must not touch. */
  readonly #held = new Map<string, number>();
  readonly #holdLimitMs: number;
  #heldElsewhere = 0;

  constructor(options: InviteServiceOptions) {
    this.#events = options.events ?? {};
    this.#holdLimitMs = options.holdLimitMs ?? DEFAULT_HOLD_LIMIT_MS;
    this.#store = options.store;
    this.#claims = options.claims;
    this.#clock = options.clock;
    this.#domain = options.domain;
    this.#defaultExpiry = options.defaultExpiry;
  }

  get domain(): string {
    return this.#domain;
  }

  /**
   * With `limits` (a user who is not an admin), the invite is made only within them, counted and
   * inserted in one store transaction; the inviter is the user they apply to.
   */
  async create(request: CreateInvite = {}, limits?: InviteLimits): Promise<CreatedInvite> {
    for (;;) {
      const draft = this.#draft(request);
      if (await this.#insert(draft.row, limits)) return this.#created(draft);
    }
  }

  /** False when the id is taken (draw another); throws the limit's error when one would be broken. */
  async #insert(row: NewInvite, limits: InviteLimits | undefined): Promise<boolean> {
    const quota = limits?.quota(row.createdAt);
    // Admins pass no limits, and pay no more than one INSERT.
    if (!limits || !quota) return this.#store.insert(row);
    const { inviter } = row;
    if (inviter === null) throw new AppError("invalid-argument", "Limits apply to the inviter: an invite with limits needs one");
    const outcome = await this.#store.insertLimited({ ...row, inviter }, quota);
    if (typeof outcome === "object") throw limits.refusal(outcome);
    return outcome === "inserted";
  }

  /** Creates `count` invites alike in one transaction: for bulk issuing (e.g. a conference). */
  async createMany(count: number, request: CreateInvite = {}): Promise<CreatedInvite[]> {
    if (!Number.isInteger(count) || count < 1 || count > MAX_USES_LIMIT) {
      throw new AppError("invalid-argument", `The number of invites must be a whole number from 1 to ${MAX_USES_LIMIT}`);
    }
    for (;;) {
      const drafts = Array.from({ length: count }, () => this.#draft(request));
      if (await this.#store.insertMany(drafts.map((draft) => draft.row))) return drafts.map((draft) => this.#created(draft));
    }
  }

  /** Checks the request and draws the token and id: the row to insert. */
  #draft(request: CreateInvite): { row: NewInvite; token: string } {
    // What an invite holds comes back in stanzas (lists, roster groups): XML must be able to carry it.
    checkXmlText({ username: request.username, inviter: request.inviter, groups: request.groups, note: request.note, source: request.source });
    const type = request.type ?? "account";
    const fields = this.#checkKind(type, request);
    const expiresIn = request.expiresIn ?? (type === "reset" ? RESET_EXPIRY_SECONDS : this.#defaultExpiry);
    if (!Number.isInteger(expiresIn) || expiresIn <= 0 || expiresIn > MAX_EXPIRY_SECONDS) {
      throw new AppError("invalid-argument", "The expiry must be a whole number of seconds, more than 0 and at most 10 years");
    }
    const maxUses = request.maxUses ?? 1;
    if (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > MAX_USES_LIMIT) {
      throw new AppError("invalid-argument", `The number of uses must be a whole number from 1 to ${MAX_USES_LIMIT}`);
    }
    if (fields.username !== null && maxUses > 1) {
      throw new AppError("invalid-argument", "An invite for one fixed username can be used only once");
    }
    const note = request.note?.trim() || null;
    if (note !== null && note.length > MAX_NOTE_LENGTH) {
      throw new AppError("invalid-argument", `The note must be at most ${MAX_NOTE_LENGTH} characters`);
    }

    const now = this.#clock.now();
    const token = generateToken();
    const row: NewInvite = {
      id: generateInviteId(),
      tokenHash: hashToken(token),
      type,
      ...fields,
      source: request.source ?? null,
      note,
      createdAt: now,
      expiresAt: now + expiresIn * 1000,
      maxUses,
    };
    return { row, token };
  }

  #created({ row, token }: { row: NewInvite; token: string }): CreatedInvite {
    const { tokenHash: _hash, ...fields } = row;
    const invite: Invite = { ...fields, uses: 0, pending: 0, revokedAt: null };
    this.#events.created?.(invite);
    return { invite, token, uri: inviteUri(invite, token, this.#domain) };
  }

  #checkKind(type: InviteType, request: CreateInvite): { username: string | null; inviter: string | null; allowRegistration: boolean; groups: string[] } {
    const groups = checkGroups(request.groups ?? []);
    const inviter = request.inviter === undefined ? null : this.#localJid(request.inviter, "The inviter");
    switch (type) {
      case "account":
        return { username: request.username === undefined ? null : checkUsername(request.username), inviter, allowRegistration: true, groups };
      case "contact":
        if (inviter === null) throw new AppError("invalid-argument", "A contact invite needs the inviter, a user of this domain");
        if (request.username !== undefined) throw new AppError("invalid-argument", "A contact invite cannot fix the username");
        return { username: null, inviter, allowRegistration: request.allowRegistration ?? false, groups };
      case "reset":
        if (request.username === undefined) throw new AppError("invalid-argument", "A password-reset invite needs the username whose password it resets");
        if (inviter !== null || groups.length > 0) throw new AppError("invalid-argument", "A password-reset invite has no inviter and no groups");
        return { username: checkUsername(request.username), inviter: null, allowRegistration: false, groups: [] };
      default: {
        const unknown: never = type;
        throw new AppError("invalid-argument", `Unknown invite type ${String(unknown)}`);
      }
    }
  }

  /** A bare JID of a user of this domain, normalised; the component's own JID can never qualify. */
  #localJid(jid: string, what: string): string {
    const parsed = parseJid(jid);
    const domain = parsed?.domain.toLowerCase();
    const local = parsed !== undefined && parsed.local !== "" ? normalizeUsername(parsed.local) : { ok: false as const };
    if (!local.ok || domain !== this.#domain || parsed?.resource !== "") {
      throw new AppError("invalid-argument", `${what} must be a user of ${this.#domain}, such as alice@${this.#domain}`);
    }
    return `${local.username}@${domain}`;
  }

  /** Is this token redeemable now? (Read only; a claim re-checks atomically.) */
  async validate(token: string): Promise<Validation> {
    const invite = isWellFormedToken(token) ? await this.#store.findByTokenHash(hashToken(token)) : undefined;
    if (!invite) return { ok: false, reason: "token-unknown" };
    const status = inviteStatus(invite, this.#clock.now());
    if (status !== "active" || invite.uses + invite.pending >= invite.maxUses) {
      return { ok: false, reason: status === "active" ? "token-used" : `token-${status}` };
    }
    return { ok: true, invite };
  }

  /**
   * Checks, without reserving anything, that the token may register `username` (already
   * normalised): what a person cannot fix by changing the password is told before password rules.
   */
  async checkRedeemable(token: string, username: string): Promise<Invite> {
    const validation = await this.validate(token);
    if (!validation.ok) throw new AppError("token-invalid", "", validation.reason);
    const { invite } = validation;
    switch (invite.type) {
      case "account":
        // Prosody 13's equivalent check never fires; here a fixed-username invite registers only that name.
        if (invite.username !== null && invite.username !== username) throw new AppError("username-mismatch");
        break;
      case "contact":
        // Without ;ibr=y it is a contact invite only: as in Prosody, it is no registration token.
        if (!invite.allowRegistration) throw new AppError("token-invalid", "", "token-no-registration");
        break;
      case "reset":
        if (invite.username !== username) throw new AppError("reset-username-mismatch");
        break;
    }
    return invite;
  }

  /**
   * Reserves one use of the invite for `username` (already normalised). Expiry, revocation and
   * uses are re-checked inside the claim itself, so a token validated earlier can still fail here.
   * `context` is kept with the claim, so a crash before the use is recorded can be settled later.
   */
  async claim(token: string, username: string, context: ClaimContext = {}): Promise<Claim> {
    return this.claimChecked(await this.checkRedeemable(token, username), token, username, context);
  }

  /**
   * `claim` for an invite that checkRedeemable has just returned for this token and username: the
   * claim's conditional UPDATE re-checks expiry, revocation and uses atomically, and what else
   * checkRedeemable looked at (type, fixed username) never changes, so the invite is not read twice.
   */
  async claimChecked(invite: Invite, token: string, username: string, context: ClaimContext = {}): Promise<Claim> {
    const now = this.#clock.now();
    const claimId = await this.#claims.claim(invite.id, username, now, context);
    if (claimId === undefined) {
      // Taken meanwhile: read again only now, to refuse with the reason (expired, revoked or used).
      await this.checkRedeemable(token, username);
      throw new AppError("token-invalid", "", "token-used");
    }
    this.#held.set(claimId, now);
    return { id: claimId, invite };
  }

  /**
   * Counts the use once the account exists, and records the roster steps that follow in the same
   * transaction: a subscription with the inviter (XEP-0379), and the invite's groups.
   */
  async consume(claim: Claim, redemption: { jid: string; door: Door; requester: string | null; consentAt?: number | undefined }): Promise<void> {
    const { invite } = claim;
    const created = invite.type !== "reset";
    const subscriptions = created && invite.inviter !== null ? [{ a: invite.inviter, b: redemption.jid, groups: invite.groups }] : [];
    const groups = created ? invite.groups : [];
    await this.#claims.consume(claim.id, invite.id, { ...redemption, action: created ? "created" : "password-reset" }, { subscriptions, groups }, this.#clock.now());
    this.#held.delete(claim.id);
  }

  /** A claim still in flight, with its invite, and the username it was made for. */
  async findClaim(id: string): Promise<(Claim & { username: string | null; door: Door | null }) | undefined> {
    const stored = await this.#claims.findClaim(id);
    const invite = stored && (await this.#store.findById(stored.inviteId));
    return stored && invite && { id, invite, username: stored.username, door: stored.door };
  }

  async release(claim: Claim): Promise<void> {
    // Done with it either way: if the release fails, settlement finds the claim.
    this.#held.delete(claim.id);
    await this.#claims.release(claim.id);
  }

  /**
   * Lets go of a claim without giving the use back: the server did not say whether the account
   * was made (a timeout), so settlement decides once the server answers again.
   */
  async leave(claim: Claim): Promise<void> {
    this.#held.delete(claim.id);
    // Other instances settle it too from now on (when this fails, they wait for the hold limit).
    await this.#claims.leave(claim.id);
  }

  /** Claims nobody is working on: left by a crash, a timeout or a caller that vanished. */
  async unsettledClaims(): Promise<PendingClaim[]> {
    const now = this.#clock.now();
    for (const [id, since] of this.#held) if (now - since > this.#holdLimitMs) this.#held.delete(id);
    // A bridge claim is held by the server, which creates the account after the claim: left alone
    // for as long as a registration can take there, even by a process that did not make it. So is
    // a contact claim, recorded right after it is made.
    const pending = await this.#claims.pending();
    // Another live instance is still working on its young claims, as this one is on those it holds.
    const others = [...new Set(pending.flatMap((claim) => (claim.holder !== null && claim.holder !== this.#claims.holder ? [claim.holder] : [])))];
    const live = others.length > 0 ? await this.#claims.liveHolders(others) : new Set<string>();
    const young = (claim: PendingClaim) => now - claim.claimedAt <= this.#holdLimitMs;
    const elsewhere = (claim: PendingClaim) => claim.holder !== null && claim.holder !== this.#claims.holder && live.has(claim.holder) && young(claim);
    this.#heldElsewhere = pending.filter(elsewhere).length;
    const leftAlone = (claim: PendingClaim) => (claim.door === "bridge" || isJid(claim.username)) && young(claim);
    return pending.filter((claim) => !this.#held.has(claim.id) && !leftAlone(claim) && !elsewhere(claim));
  }

  /** Claims another live instance was working on at the last unsettledClaims(): settlement looks again soon. */
  get claimsHeldElsewhere(): number {
    return this.#heldElsewhere;
  }

  /**
   * Resolves a claim once the server has said whether its account exists: the use is recorded
   * exactly as the registration would have recorded it, or given back at once. Never on a guess:
   * a reset claim (whether the password changed cannot be asked) and a contact claim of the
   * server's bridge (settled by the subscription, see settlementQuestion) wait here.
   */
  async settle(pending: PendingClaim, accountExists: boolean): Promise<Settled> {
    const invite = await this.#store.findById(pending.inviteId);
    const release = async (why: Extract<Settled, { action: "released" }>["why"]): Promise<Settled> => {
      await this.#claims.release(pending.id);
      return { action: "released", why };
    };
    if (!invite) return release("invite-gone");
    // An invite that can no longer be redeemed hands nothing out when its claim goes.
    if (invite.type === "reset") return inviteStatus(invite, this.#clock.now()) === "active" ? { action: "waiting" } : release("ended");
    if (invite.type === "contact" && isJid(pending.username)) {
      if (pending.door === "bridge") return { action: "waiting" };
      // The accept command records its claim in the same breath, with the roster steps: a claim
      // left without that record (a crash between the two) subscribed nobody.
      return release("contact");
    }
    if (pending.username === null) return release("no-username");
    if (!accountExists) return release("missing");
    const jid = `${pending.username}@${this.#domain}`;
    // Another invite (or open registration) recorded this account since: it is not this claim's.
    if (await this.#claims.redeemedSince(jid, pending.claimedAt)) return release("recorded-elsewhere");
    const door = pending.door ?? "xmpp";
    await this.consume({ id: pending.id, invite }, { jid, door, requester: pending.requester });
    return { action: "recorded", invite, jid, door };
  }

  /** Notes that the server could not tell; the claim stays reserved. */
  async noteCheck(pending: PendingClaim, why: string): Promise<void> {
    await this.#claims.noteCheck(pending.id, why);
  }

  /** What the server must say to settle a claim (reset claims, unnamed ones and the accept command's: nothing). */
  async settlementQuestion(pending: PendingClaim): Promise<SettlementQuestion> {
    const invite = await this.#store.findById(pending.inviteId);
    if (!invite || pending.username === null || invite.type === "reset") return { ask: "nothing" };
    if (invite.type === "contact" && isJid(pending.username)) {
      return pending.door === "bridge" && invite.inviter !== null ? { ask: "subscription", inviter: invite.inviter, invitee: pending.username } : { ask: "nothing" };
    }
    return { ask: "account", username: pending.username };
  }

  /** Records a registration that used no invite (open registration). */
  async recordOpenRegistration(redemption: { jid: string; door: Door; requester: string | null; consentAt?: number | undefined }): Promise<void> {
    await this.#claims.recordRedemption({ ...redemption, action: "created" }, this.#clock.now());
  }

  /** The account a requester (bare JID) registered through this service, if any. */
  async registeredBy(requester: string): Promise<string | undefined> {
    return (await this.#claims.lastRedemptionBy(requester))?.jid;
  }

  async get(id: string): Promise<Invite> {
    const invite = await this.#store.findById(id);
    if (!invite) throw new AppError("invite-not-found", id);
    return invite;
  }

  /** Revokes every form of the invite at once (registration and contact alike). */
  async revoke(id: string): Promise<Invite> {
    const invite = await this.get(id);
    if (invite.revokedAt !== null) throw new AppError("already-revoked", id);
    await this.#store.revoke(id, this.#clock.now());
    return this.get(invite.id);
  }

  list(options: ListOptions = {}): Promise<Invite[]> {
    return this.#store.list(this.#clock.now(), options);
  }

  purgeExpired(): Promise<number> {
    return this.#store.purgeExpired(this.#clock.now());
  }
}

/** A contact claim names the invitee by its bare JID, a registration claim by a localpart. */
function isJid(username: string | null): username is string {
  return username?.includes("@") ?? false;
}

function checkGroups(groups: readonly string[]): string[] {
  const unique = [...new Set(groups.map((group) => group.trim()))];
  if (unique.length > MAX_GROUPS) throw new AppError("invalid-argument", `An invite can have at most ${MAX_GROUPS} groups`);
  for (const group of unique) {
    if (group.length === 0 || group.length > MAX_GROUP_LENGTH || /\p{Cc}/u.test(group)) {
      throw new AppError("invalid-argument", `A group name must be 1 to ${MAX_GROUP_LENGTH} printable characters`);
    }
  }
  return unique;
}

function checkUsername(input: string): string {
  const check = normalizeUsername(input);
  if (!check.ok) throw new AppError("username-invalid");
  return check.username;
}
