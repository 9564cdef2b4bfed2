// Requests for an account, decided by an admin. A visitor asks for a username (with an optional
// message) and gets a private status link; admins are told and approve or deny. Approval creates a
// single-use account invite fixed to that username, sealed to the status link (seal.ts), so the
// link becomes the registration form and the registration core does the rest. No password is
// asked for or kept while a request waits.
import { AppError } from "../../errors.js";
import type { Clock } from "../domain/clock.js";
import { type Invite, inviteStatus, registersAccount } from "../domain/invite.js";
import type { ServerAdapter } from "../ports/server.js";
import { seal, sealingKeyOf, unseal } from "../domain/seal.js";
import type { InviteService } from "../service/invite-service.js";
import type { AccountRequest, AccountRequestStore, RequestDecision, StoredRequest } from "../ports/store.js";
import { generateInviteId, generateToken, hashToken, isWellFormedToken } from "../domain/token.js";
import { normalizeUsername } from "../domain/username.js";
import { checkXmlText } from "../../protocol/xml-text.js";

export type { AccountRequest } from "../ports/store.js";

/** Tells admins about a new request (over XMPP, from the component). Never throws. */
export interface RequestNotifier {
  requested(request: AccountRequest): void;
}

/** The state a requester's status link shows. */
export type RequestView =
  | { readonly state: "pending" | "denied" | "expired"; readonly request: AccountRequest }
  /** Approved and the invite still active: the link is a registration form with this token. */
  | { readonly state: "approved"; readonly request: AccountRequest; readonly inviteToken: string; readonly invite: Invite }
  /** Approved and the account made (the invite used). */
  | { readonly state: "registered"; readonly request: AccountRequest }
  /** Approved, but the invite expired or was revoked unused. */
  | { readonly state: "lapsed"; readonly request: AccountRequest };

/** What admins see of a request: its state as it is now, and whether its name is still free. */
export interface RequestListing {
  readonly request: AccountRequest;
  /** approved: the invite waits; registered: the account was made with it; lapsed: the invite expired or was revoked unused. */
  readonly state: RequestDecision | "expired" | "registered" | "lapsed";
  /**
   * For requests still to be decided or used: true when the name is taken meanwhile (an account,
   * or another invite holds it), "unknown" when the server could not say; false otherwise.
   */
  readonly taken: boolean | "unknown";
}

/** How the service asks whether an account exists (the server adapter; absent: only invites are looked at). */
export type AccountLookup = Pick<ServerAdapter, "accountExists">;

export const MAX_REQUEST_MESSAGE = 500;
/** How many waiting invites are looked through for one holding a name. */
const HOLDERS_SCANNED = 1000;
/** Answered requests are kept this long, so their links still say what happened. */
const KEEP_ANSWERED_MS = 30 * 24 * 3600_000;

export class AccountRequestService {
  readonly #store: AccountRequestStore;
  readonly #invites: InviteService;
  readonly #clock: Clock;
  readonly #expirySeconds: number;
  readonly #maxPending: number;
  readonly #notifier: RequestNotifier;
  readonly #accounts: AccountLookup | undefined;

  constructor(options: {
    store: AccountRequestStore;
    invites: InviteService;
    clock: Clock;
    /** How long a request waits for an answer. */
    expirySeconds: number;
    maxPending: number;
    notifier?: RequestNotifier | undefined;
    /** Asked before a request is taken and before it is approved: a name that exists is refused. */
    accounts?: AccountLookup | undefined;
  }) {
    this.#store = options.store;
    this.#invites = options.invites;
    this.#clock = options.clock;
    this.#expirySeconds = options.expirySeconds;
    this.#maxPending = options.maxPending;
    this.#notifier = options.notifier ?? { requested: () => undefined };
    this.#accounts = options.accounts;
  }

  /** A new request; the status token is shown once (only its hash is stored). */
  async submit(input: { username: string; message?: string | undefined }): Promise<{ request: AccountRequest; statusToken: string }> {
    // The message goes to admins in stanzas (the notice, the list of requests).
    checkXmlText({ username: input.username, message: input.message });
    const name = normalizeUsername(input.username.trim());
    if (!name.ok) throw new AppError("username-invalid");
    const message = input.message?.trim() || null;
    if (message !== null && [...message].length > MAX_REQUEST_MESSAGE) throw new AppError("message-too-long", String(MAX_REQUEST_MESSAGE));
    // Refused up front: approving it would lead the requester to a form that cannot succeed.
    if ((await this.#nameTaken(name.username, null)) === true) throw new AppError("username-taken");
    const now = this.#clock.now();
    const statusToken = generateToken();
    const row = {
      username: name.username,
      message,
      createdAt: now,
      expiresAt: now + this.#expirySeconds * 1000,
      statusHash: hashToken(statusToken),
      sealingKey: sealingKeyOf(statusToken),
    };
    const limits = { now, maxPending: this.#maxPending, purgeBefore: now - KEEP_ANSWERED_MS };
    for (;;) {
      const id = generateInviteId();
      // The limits are checked and the row written in one transaction of the store.
      const outcome = await this.#store.submit({ id, ...row }, limits);
      if (outcome === "full") throw new AppError("requests-full");
      if (outcome === "exists") throw new AppError("request-exists");
      if (outcome === "inserted") {
        const request: AccountRequest = { id, username: row.username, message, status: "pending", createdAt: now, expiresAt: row.expiresAt, decidedAt: null, decidedBy: null, inviteId: null };
        this.#notifier.requested(request);
        return { request, statusToken };
      }
    }
  }

  /** What the status link shows; undefined for an unknown link. */
  async view(statusToken: string): Promise<RequestView | undefined> {
    if (!isWellFormedToken(statusToken)) return undefined;
    const stored = await this.#store.byStatusHash(hashToken(statusToken));
    if (!stored) return undefined;
    const request = publicPart(stored);
    const now = this.#clock.now();
    if (stored.status === "denied") return { state: "denied", request };
    if (stored.status === "pending") return { state: stored.expiresAt <= now ? "expired" : "pending", request };
    const invite = stored.inviteId === null ? undefined : await this.#findInvite(stored.inviteId);
    const status = invite === undefined ? "expired" : inviteStatus(invite, now);
    if (status === "used") return { state: "registered", request };
    const inviteToken = stored.sealedToken === null ? undefined : unseal(statusToken, stored.sealedToken);
    if (status !== "active" || invite === undefined || inviteToken === undefined) return { state: "lapsed", request };
    return { state: "approved", request, inviteToken, invite };
  }

  list(options: { all?: boolean; limit?: number } = {}): Promise<AccountRequest[]> {
    return this.#store.list({ pendingAt: options.all ? undefined : this.#clock.now(), limit: options.limit ?? 100 });
  }

  /** The list as admins see it: each request's state as it is now, and whether its name was taken meanwhile. */
  async overview(options: { all?: boolean; limit?: number } = {}): Promise<RequestListing[]> {
    const list = await this.list(options);
    const holders = await this.#holders();
    return Promise.all(list.map((request) => this.describe(request, holders)));
  }

  /** One request as admins see it (see overview). */
  async describe(request: AccountRequest, holders?: readonly Invite[]): Promise<RequestListing> {
    const now = this.#clock.now();
    const decided = requestState(request, now);
    let state: RequestListing["state"] = decided;
    if (decided === "approved") {
      const invite = request.inviteId === null ? undefined : await this.#findInvite(request.inviteId);
      const status = invite === undefined ? "expired" : inviteStatus(invite, now);
      state = status === "used" ? "registered" : status === "active" ? "approved" : "lapsed";
    }
    const open = state === "pending" || state === "approved";
    return { request, state, taken: open ? await this.#nameTaken(request.username, request.inviteId, holders) : false };
  }

  async get(id: string): Promise<AccountRequest> {
    const stored = await this.#store.byId(id);
    if (!stored) throw new AppError("request-not-found", id);
    return publicPart(stored);
  }

  /** Creates the single-use invite for the requested name, sealed to the requester's link. */
  async approve(id: string, by: string): Promise<AccountRequest> {
    const stored = await this.#pending(id);
    // Taken meanwhile: an approval would hand the requester a form that cannot succeed.
    if ((await this.#nameTaken(stored.username, null)) === true) throw new AppError("username-taken");
    const now = this.#clock.now();
    const { invite, token } = await this.#invites.create({ type: "account", username: stored.username, maxUses: 1, source: `request:${id}`, note: `Account request ${id}` });
    // The decision is conditional (still pending): when another admin decided first, the invite
    // made here is revoked. Its token was never shown to anyone, so even a crash in between
    // leaves nothing usable behind.
    if (!(await this.#store.decide(id, { status: "approved", at: now, by, inviteId: invite.id, sealedToken: seal(stored.sealingKey, token) }, now))) {
      await this.#invites.revoke(invite.id);
      throw new AppError("request-decided", id);
    }
    return this.get(id);
  }

  async deny(id: string, by: string): Promise<AccountRequest> {
    await this.#pending(id);
    const now = this.#clock.now();
    if (!(await this.#store.decide(id, { status: "denied", at: now, by, inviteId: null, sealedToken: null }, now))) throw new AppError("request-decided", id);
    return this.get(id);
  }

  async #pending(id: string): Promise<StoredRequest> {
    const stored = await this.#store.byId(id);
    if (!stored) throw new AppError("request-not-found", id);
    if (stored.status !== "pending" || stored.expiresAt <= this.#clock.now()) throw new AppError("request-decided", id);
    return stored;
  }

  /**
   * Whether `username` is taken: the server has the account, or another invite that can still be
   * used registers that very name (`own`, the request's own invite, aside).
   */
  async #nameTaken(username: string, own: string | null, holders?: readonly Invite[]): Promise<boolean | "unknown"> {
    const held = (holders ?? (await this.#holders())).some((invite) => invite.id !== own && invite.username === username);
    if (held) return true;
    if (this.#accounts === undefined) return "unknown";
    try {
      return (await this.#accounts.accountExists(username)).exists;
    } catch {
      return "unknown";
    }
  }

  /** The usable invites that register (or reset) one fixed name. */
  async #holders(): Promise<Invite[]> {
    const now = this.#clock.now();
    const invites = await this.#invites.list({ limit: HOLDERS_SCANNED });
    return invites.filter((invite) => invite.username !== null && (registersAccount(invite) || invite.type === "reset") && inviteStatus(invite, now) === "active");
  }

  async #findInvite(id: string): Promise<Invite | undefined> {
    try {
      return await this.#invites.get(id);
    } catch {
      return undefined;
    }
  }
}

/** The request's state as admins see it: pending ones past their expiry are "expired". */
export function requestState(request: AccountRequest, now: number): RequestDecision | "expired" {
  return request.status === "pending" && request.expiresAt <= now ? "expired" : request.status;
}

function publicPart(stored: StoredRequest): AccountRequest {
  const { sealingKey: _key, sealedToken: _sealed, ...request } = stored;
  return request;
}

/** How a request looks in JSON, for the CLI's --json and the HTTP API alike. */
export function requestJson(listing: RequestListing): Record<string, unknown> {
  const { request } = listing;
  const at = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z"));
  return {
    id: request.id,
    username: request.username,
    message: request.message,
    status: listing.state,
    /** Whether the name was taken meanwhile (null: the server could not say). */
    name_taken: listing.taken === "unknown" ? null : listing.taken,
    created: at(request.createdAt),
    expires: at(request.expiresAt),
    decided: at(request.decidedAt),
    decided_by: request.decidedBy,
    invite_id: request.inviteId,
  };
}
