// The one registration core behind every door (XEP-0077 at the component, the web form and
// the HTTP API): policy, username rules, the invite, password rules, the claim, the account, then
// the use. A claim whose account may or may not exist (no answer in time) is neither consumed nor
// released here: claim settlement asks the server later.
import type { Logger } from "pino";
import type { ServerAdapter } from "../ports/server.js";
import { AppError, isAppError, newIncidentId } from "../../errors.js";
import type { InviteEvents } from "../domain/events.js";
import type { Door, Invite } from "../domain/invite.js";
import type { Claim, InviteService } from "../service/invite-service.js";
import { isStorageFailure } from "../ports/store.js";
import { normalizeUsername } from "../domain/username.js";
import { checkXmlText } from "../../protocol/xml-text.js";

/** Prosody's `registration_invite_only` × `allow_registration` table (mod_invites_register). */
export interface RegistrationPolicy {
  readonly inviteOnly: boolean;
  readonly allowRegistration: boolean;
}

export type RegistrationMode = "invite-only" | "open" | "closed";

export function registrationMode(policy: RegistrationPolicy): RegistrationMode {
  if (policy.inviteOnly) return "invite-only";
  return policy.allowRegistration ? "open" : "closed";
}

export interface RegisterRequest {
  readonly token?: string | undefined;
  readonly username: string;
  readonly password: string;
  readonly door: Door;
  /** Who asked (a bare JID at the XMPP door), recorded with the redemption. */
  readonly requester?: string | undefined;
  /** When the person accepted the site's terms or privacy policy (web form), recorded with the redemption. */
  readonly consentAt?: number | undefined;
}

export interface Registered {
  readonly jid: string;
  readonly username: string;
  readonly inviteId: string | null;
  /** A reset invite changes the password of an existing account instead of creating one. */
  readonly action: "created" | "password-reset";
}

/** What the server's bridge module asks before it creates (or resets) an account itself. */
export interface ServerClaimRequest {
  /**
   * The claim's name, chosen by the server, so that it can give the use back even when this
   * service's answer never reached it (the server then creates no account).
   */
  readonly claimId?: string | undefined;
  readonly token?: string | undefined;
  /** As the server prepared it (nodeprep); refused when this service would normalise it differently. */
  readonly username: string;
  readonly password: string;
  /** Whether the server already has an account of that name. */
  readonly accountExists: boolean;
}

export interface ServerClaim {
  /** Settle it once the server knows the outcome; absent for an open registration (no invite). */
  readonly claimId: string | undefined;
  readonly action: "created" | "password-reset";
}

const MAX_PASSWORD_BYTES = 1024;

/** Opt-in timing of a registration's parts (the store's claim and consume, the adapter call). */
export interface PhaseTimer {
  now(): number;
  report(what: string, parts: Record<string, number>): void;
}

export class RegistrationService {
  readonly #invites: InviteService;
  readonly #adapter: ServerAdapter;
  readonly #mode: RegistrationMode;
  readonly #log: Logger;
  readonly #onConsumed: () => void;
  readonly #onClaimLeft: () => void;
  readonly #minPasswordLength: number;
  readonly #events: InviteEvents;
  readonly #timer: PhaseTimer | undefined;

  constructor(options: {
    invites: InviteService;
    adapter: ServerAdapter;
    policy: RegistrationPolicy;
    log: Logger;
    /** `password_policy.min_length`: the same rule at every door. */
    minPasswordLength: number;
    /** Called once a use is recorded, so the roster steps it queued run promptly. */
    onConsumed?: () => void;
    /** Called when a claim is left for settlement (the server did not answer), so it is settled promptly. */
    onClaimLeft?: () => void;
    events?: InviteEvents;
    timer?: PhaseTimer;
  }) {
    this.#invites = options.invites;
    this.#adapter = options.adapter;
    this.#mode = registrationMode(options.policy);
    this.#log = options.log;
    this.#minPasswordLength = options.minPasswordLength;
    this.#onConsumed = options.onConsumed ?? (() => undefined);
    this.#onClaimLeft = options.onClaimLeft ?? (() => undefined);
    this.#events = options.events ?? {};
    this.#timer = options.timer;
  }

  get minPasswordLength(): number {
    return this.#minPasswordLength;
  }

  get mode(): RegistrationMode {
    return this.#mode;
  }

  /** Whether any registration can succeed, so doors and discovery only offer what works. */
  get isAvailable(): boolean {
    return this.#mode !== "closed";
  }

  /** The XEP-0401 preauth step: tells the client early whether its token is good. */
  async checkToken(token: string): Promise<void> {
    if (!this.isAvailable) throw new AppError("registration-disabled");
    const validation = await this.#invites.validate(token).catch((err: unknown) => {
      throw storageError(err, this.#log);
    });
    if (!validation.ok) {
      this.#log.info({ reason: validation.reason }, "token refused");
      throw new AppError("token-invalid", "", validation.reason);
    }
  }

  registeredBy(requester: string): Promise<string | undefined> {
    return this.#invites.registeredBy(requester);
  }

  async register(request: RegisterRequest): Promise<Registered> {
    try {
      return await this.#register(request);
    } catch (err) {
      this.#refused(request.door, err);
      throw err;
    }
  }

  #refused(door: Door, err: unknown): void {
    if (isAppError(err)) this.#events.refused?.(door, err.code === "token-invalid" && typeof err.cause === "string" ? err.cause : err.code);
  }

  /**
   * The server's own in-band registration (through its bridge module): the same policy, username,
   * password and invite rules as every other door, and the use claimed; the server then creates
   * the account itself and settles the claim with `settleServerClaim`.
   */
  async claimForServer(request: ServerClaimRequest): Promise<ServerClaim> {
    try {
      return await this.#claimForServer(request);
    } catch (err) {
      this.#refused("bridge", err);
      throw err;
    }
  }

  async #claimForServer(request: ServerClaimRequest): Promise<ServerClaim> {
    if (!this.isAvailable) throw new AppError("registration-disabled");
    checkXmlText({ username: request.username, password: request.password });
    const name = normalizeUsername(request.username);
    // The server creates the account under the name it sent: it must be the name checked here.
    if (!name.ok || name.username !== request.username) throw new AppError("username-invalid");
    const { username } = name;
    // What a person cannot fix by changing the password is told first, as at every door: here the
    // server has already said whether the name is taken.
    if (request.token === undefined) {
      if (this.#mode === "invite-only") throw new AppError("invite-only");
      if (request.accountExists) throw new AppError("username-taken");
      checkPassword(request.password, username, this.#minPasswordLength);
      return { claimId: undefined, action: "created" };
    }
    let claim: Claim;
    const t0 = this.#timer?.now() ?? 0;
    try {
      const invite = await this.#invites.checkRedeemable(request.token, username);
      refuseAccountMismatch(invite.type === "reset", request.accountExists);
      checkPassword(request.password, username, this.#minPasswordLength);
      if (request.claimId !== undefined && !/^[A-Za-z0-9_-]{8,64}$/.test(request.claimId)) throw new AppError("bad-request", "The claim id must be 8 to 64 letters, digits, - or _");
      if (request.claimId !== undefined && (await this.#invites.findClaim(`bridge-${request.claimId}`))) throw new AppError("bad-request", "That claim id is taken");
      claim = await this.#invites.claimChecked(invite, request.token, username, { door: "bridge", ...(request.claimId === undefined ? {} : { id: `bridge-${request.claimId}` }) });
    } catch (err) {
      if (isAppError(err)) this.#log.info({ code: err.code, reason: err.cause, door: "bridge" }, "redemption refused");
      throw err;
    }
    const reset = claim.invite.type === "reset";
    if (this.#timer) this.#timer.report("claim:bridge", { storeMs: this.#timer.now() - t0 });
    // At debug, as the doors' claims: the server's consume logs the registration at info.
    this.#log.debug({ jid: `${username}@${this.#invites.domain}`, invite: claim.invite.id, door: "bridge", claim: claim.id }, "use claimed for the server");
    return { claimId: claim.id, action: reset ? "password-reset" : "created" };
  }

  /**
   * The server's word on a claim: "consume" once the account exists (or its password changed),
   * "release" when it was not created. Settling an unknown or settled claim is refused.
   */
  async settleServerClaim(claimId: string, username: string, outcome: "consume" | "release"): Promise<void> {
    const claim = (await this.#invites.findClaim(claimId)) ?? (await this.#invites.findClaim(`bridge-${claimId}`));
    if (!claim || claim.door !== "bridge") throw new AppError("claim-not-found");
    if (claim.username !== username) throw new AppError("bad-request", "The claim was made for another username");
    const jid = `${username}@${this.#invites.domain}`;
    const log = this.#log.child({ jid, invite: claim.invite.id, door: "bridge" });
    if (outcome === "release") {
      await this.#invites.release(claim);
      log.info("the server did not create the account; use released");
      return;
    }
    const t0 = this.#timer?.now() ?? 0;
    await this.#invites.consume(claim, { jid, door: "bridge", requester: null });
    if (this.#timer) this.#timer.report("consume:bridge", { storeMs: this.#timer.now() - t0 });
    const action = claim.invite.type === "reset" ? "password-reset" : "created";
    log.info(action === "password-reset" ? "password reset" : "account registered");
    this.#events.registered?.("bridge", action, claim.invite, jid);
    this.#onConsumed();
  }

  async #register(request: RegisterRequest): Promise<Registered> {
    const began = this.#timer?.now() ?? 0;
    const { username, invite } = await this.#admit(request);
    const timer = this.#timer;
    const marks = timer ? [timer.now()] : [];
    const claim = request.token === undefined || invite === undefined ? undefined : await this.#claim(request, invite, request.token, username);
    const jid = `${username}@${this.#invites.domain}`;
    const attempt = this.#attempt(claim, this.#log.child({ jid, invite: claim?.invite.id, door: request.door }));
    const { reset, log } = attempt;

    if (timer) marks.push(timer.now());
    await this.#askServer(attempt, { username, password: request.password });
    if (timer) marks.push(timer.now());
    await this.#record(attempt, username, { jid, door: request.door, requester: request.requester ?? null, consentAt: request.consentAt });
    const consumed = timer?.now() ?? 0;
    log.info(reset ? "password reset" : "account registered");
    this.#events.registered?.(request.door, reset ? "password-reset" : "created", claim?.invite ?? null, jid);
    this.#onConsumed();
    if (timer) {
      const [start = 0, claimed = 0, created = 0] = marks;
      timer.report(`register:${request.door}`, { claimMs: claimed - start, adapterMs: created - claimed, consumeMs: consumed - created, totalMs: timer.now() - began });
    }
    return { jid, username, inviteId: claim?.invite.id ?? null, action: reset ? "password-reset" : "created" };
  }

  /**
   * Every refusal that needs nothing reserved: policy, username, invite, password, a reachable
   * server. The username, normalised, and the invite the token redeems (none without a token).
   */
  async #admit(request: RegisterRequest): Promise<{ username: string; invite: Invite | undefined }> {
    if (!this.isAvailable) throw new AppError("registration-disabled");
    // Before anything is looked up or reserved: a stanza could not carry it to the server.
    checkXmlText({ username: request.username, password: request.password });
    const name = normalizeUsername(request.username);
    if (!name.ok) throw new AppError("username-invalid");
    const { username } = name;
    if (request.password.length === 0) throw new AppError("field-missing", "Password: Required value missing");
    // Refusals a new password cannot fix come first (as Prosody without mod_password_policy answers).
    let invite: Invite | undefined;
    if (request.token !== undefined) {
      try {
        invite = await this.#invites.checkRedeemable(request.token, username);
      } catch (err) {
        if (isAppError(err)) this.#log.info({ code: err.code, reason: err.cause }, "redemption refused");
        throw storageError(err, this.#log);
      }
    } else if (this.#mode === "invite-only") {
      throw new AppError("invite-only");
    }
    checkPassword(request.password, username, this.#minPasswordLength);

    // The server cannot be reached from here now (a standby instance, a lost link): refused before
    // anything is reserved, so the person (or a proxy) can simply try again or elsewhere.
    if (this.#adapter.ready?.() === false) {
      const incident = newIncidentId();
      this.#log.warn({ incident, adapter: this.#adapter.kind }, "the server cannot be reached from this instance now; nothing claimed");
      throw new AppError("server-unavailable", incident);
    }
    return { username, invite };
  }

  async #claim(request: RegisterRequest, invite: Invite, token: string, username: string): Promise<Claim> {
    try {
      return await this.#invites.claimChecked(invite, token, username, { door: request.door, requester: request.requester ?? null });
    } catch (err) {
      if (isAppError(err)) this.#log.info({ code: err.code, reason: err.cause }, "redemption refused");
      throw storageError(err, this.#log);
    }
  }

  /** How a registration gives its claim back (the server said no) or leaves it to settlement (no answer). */
  #attempt(claim: Claim | undefined, log: Logger): Attempt {
    const reset = claim?.invite.type === "reset";
    return {
      claim,
      reset,
      log,
      // A claim is given back only when the server has said no; on silence it is left to settlement.
      giveBack: async () => {
        if (claim) await this.#invites.release(claim);
      },
      leave: async () => {
        // Repeating a reset is harmless, so its use is given back at once.
        if (!claim) return;
        if (reset) await this.#invites.release(claim);
        else {
          await this.#invites.leave(claim);
          this.#onClaimLeft();
        }
      },
    };
  }

  /** Creates the account (or changes its password, for a reset); any refusal settles the claim and throws. */
  async #askServer(attempt: Attempt, account: { username: string; password: string }): Promise<void> {
    const { reset, log, giveBack, leave } = attempt;
    let outcome;
    try {
      // A reset invite only ever changes a password: it cannot create an account (Prosody 0.12 lets it).
      outcome = reset ? await this.#adapter.changePassword(account) : await this.#adapter.createAccount(account);
    } catch (err) {
      const incident = newIncidentId();
      await this.#safely(leave, log);
      log.error({ incident, err }, "adapter failed; whether the server acted is unknown");
      throw new AppError("server-unavailable", incident, err);
    }
    if (outcome.ok) return;
    const incident = newIncidentId();
    switch (outcome.reason) {
      case "exists":
        await this.#safely(giveBack, log);
        log.info("username taken");
        throw new AppError("username-taken");
      case "missing":
        await this.#safely(giveBack, log);
        log.info("no account to reset");
        throw new AppError("account-not-found");
      case "unavailable":
        await this.#safely(leave, log);
        log.warn({ incident, detail: outcome.detail }, reset ? "no answer to the password change; use given back" : "no answer to the account creation; claim kept for settlement");
        throw new AppError("server-unavailable", incident);
      case "rejected":
        await this.#safely(giveBack, log);
        log.error({ incident, reason: outcome.reason, detail: outcome.detail }, reset ? "password not changed" : "account not created");
        throw new AppError(reset ? "password-change-failed" : "account-creation-failed", incident);
    }
  }

  /**
   * Gives back or leaves a claim without hiding the error being reported. When the store cannot
   * take that (it is down), settlement is asked to run soon: the claim is settled once the store
   * is back rather than at the next interval.
   */
  async #safely(work: () => Promise<void>, log: Logger): Promise<void> {
    try {
      await work();
    } catch (err) {
      log.error({ err }, "could not update the claim; settlement will");
      this.#onClaimLeft();
    }
  }

  /** The account exists; the use is recorded only now (XEP-0401: not consumed before success). */
  async #record(attempt: Attempt, username: string, redemption: Redemption): Promise<void> {
    const { claim, reset, log, giveBack, leave } = attempt;
    try {
      if (claim) await this.#invites.consume(claim, redemption);
      else await this.#invites.recordOpenRegistration(redemption);
    } catch (err) {
      const incident = newIncidentId();
      const code = isStorageFailure(err) ? "storage-unavailable" : "internal";
      if (reset) {
        // A password change cannot be undone; it stands, and the claim is given back if it can be.
        await this.#safely(giveBack, log);
        log.error({ incident, err }, "password reset but the invite use was not recorded");
        throw new AppError(code, incident, err);
      }
      // Nothing half done: an account whose invite use could not be counted is rolled back. When
      // even that fails the claim stays, and settlement records the use once the database writes.
      const rollback = await this.#adapter.deleteAccount(username).catch((e: unknown) => ({ ok: false as const, reason: "unavailable" as const, detail: String(e) }));
      const gone = rollback.ok || rollback.reason === "missing";
      await this.#safely(gone ? giveBack : leave, log);
      log.error({ incident, err, rolledBack: gone }, gone ? "the invite use could not be recorded; account rolled back" : "the invite use could not be recorded and the account could not be rolled back; claim kept for settlement");
      throw new AppError(code, incident, err);
    }
  }
}

type Redemption = Parameters<InviteService["consume"]>[1];

/** One registration's claim (none in open registration) and how to settle it when the server says no or nothing. */
interface Attempt {
  readonly claim: Claim | undefined;
  readonly reset: boolean;
  readonly log: Logger;
  giveBack(): Promise<void>;
  leave(): Promise<void>;
}

/** A reset invite needs the account, any other must not find one. */
function refuseAccountMismatch(reset: boolean, accountExists: boolean): void {
  if (reset !== accountExists) throw new AppError(reset ? "account-not-found" : "username-taken");
}

/** A database that refuses to work is the operator's problem: the person is asked to wait. */
function storageError(err: unknown, log: Logger): unknown {
  if (!isStorageFailure(err)) return err;
  const incident = newIncidentId();
  log.error({ incident, err }, "the database refused the claim");
  return new AppError("storage-unavailable", incident, err);
}

function checkPassword(password: string, username: string, minLength: number): void {
  // Prosody's mod_password_policy rules and texts, for every door.
  if ([...password].length < minLength) throw new AppError("password-too-short", String(minLength));
  if (password.toLowerCase().includes(username)) throw new AppError("password-contains-username");
  if (Buffer.byteLength(password, "utf8") > MAX_PASSWORD_BYTES) {
    throw new AppError("password-invalid", `The password must be at most ${MAX_PASSWORD_BYTES} bytes`);
  }
  // Control characters cannot be typed and break some server backends' storage.
  if (/\p{Cc}/u.test(password)) throw new AppError("password-invalid", "The password contains characters that are not allowed");
}
