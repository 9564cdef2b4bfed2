// The store ports: what the core needs from a database, whatever the engine. Every method is
// async, so one contract fits an embedded engine (SQLite, sync underneath) and a networked one
// (PostgreSQL). Implemented once in src/adapters/store/ over each engine (sqlite/, postgres/); both run test/store/contract.ts.
//
// Rules every implementation keeps:
// - A claim is ONE conditional write (no read-then-write): concurrent claims of a k-use invite,
//   from any number of processes, get at most k uses.
// - `consume` records the use, the redemption and the roster steps in one transaction.
// - A failure of the database itself (down, full, read-only, connection lost) is thrown as
//   StorageUnavailable, which every door answers with `storage-unavailable` (wait, 503).
// - Times are Unix milliseconds; ids are strings made by the core (tasks: by the store).
import type { Door, Invite, Redemption } from "../domain/invite.js";
import { isAccountJid } from "../../protocol/jid.js";

/** The database refused or could not be reached: the request may be retried later. */
export class StorageUnavailable extends Error {
  override name = "StorageUnavailable" as const;
  override readonly cause: unknown;

  constructor(cause: unknown) {
    super(`the database is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.cause = cause;
  }
}

export function isStorageFailure(err: unknown): boolean {
  return err instanceof StorageUnavailable;
}

// ---- invites

export type NewInvite = Pick<
  Invite,
  "id" | "type" | "username" | "inviter" | "allowRegistration" | "groups" | "source" | "note" | "createdAt" | "expiresAt" | "maxUses"
> & {
  readonly tokenHash: Buffer;
};

export interface ListOptions {
  /** Include expired, revoked and used-up invites. */
  readonly all?: boolean;
  readonly limit?: number;
  /** Keyset pagination: invites created before this one (by created_at, id). */
  readonly before?: { readonly createdAt: number; readonly id: string };
  /** Only the invites of this user (bare JID). */
  readonly inviter?: string;
}

/** The limits a user's new invite must stay within, each 0 when off (see InviteLimits). */
export interface InviteQuota {
  /** Invites of the inviter that can still be used at the invite's creation time. */
  readonly maxActive: number;
  /** Invites the inviter created after `createdSince`. */
  readonly maxCreated: number;
  readonly createdSince: number;
  /** The longest chain (see chainWalk) of invites made after `chainSince` the new invite may extend. */
  readonly maxChain: number;
  readonly chainSince: number;
  /** Accounts of the inviter's invitation tree. */
  readonly maxTree: number;
}

/** The first limit of the quota (in the order above) a new invite would break, and the count that breaks it. */
export interface QuotaBreach {
  readonly limit: "active" | "created" | "chain" | "tree";
  readonly count: number;
}

export interface InviteStore {
  /** False when the id is already taken (the caller picks another). */
  insert(invite: NewInvite): Promise<boolean>;
  /**
   * Inserts an invite of `invite.inviter` only if it stays within `quota`, counted in the same
   * transaction, one at a time per inviter across every process sharing the database; a breach
   * inserts nothing.
   */
  insertLimited(invite: NewInvite & { readonly inviter: string }, quota: InviteQuota): Promise<"inserted" | "id-taken" | QuotaBreach>;
  /** All or nothing, in one transaction; false (nothing inserted) when an id is already taken. */
  insertMany(invites: readonly NewInvite[]): Promise<boolean>;
  findByTokenHash(tokenHash: Buffer): Promise<Invite | undefined>;
  findById(id: string): Promise<Invite | undefined>;
  /** False when there is no such invite or it was already revoked. */
  revoke(id: string, now: number): Promise<boolean>;
  /** Newest first (created_at, id). */
  list(now: number, options?: ListOptions): Promise<Invite[]>;
  /** Deletes invites whose expiry has passed and that have no claim in flight; returns how many. */
  purgeExpired(now: number): Promise<number>;
}

// ---- claims and redemptions

export interface RedemptionRecord {
  readonly jid: string;
  /** When the new user accepted the site's terms or privacy policy, if asked. */
  readonly consentAt?: number | undefined;
  readonly door: Door;
  readonly requester: string | null;
  readonly action: "created" | "password-reset";
}

export interface StoredClaim {
  readonly id: string;
  readonly inviteId: string;
  readonly username: string | null;
  readonly door: Door | null;
  readonly claimedAt: number;
}

/** A claim nobody has resolved yet, as settlement reads it. */
export interface PendingClaim extends StoredClaim {
  readonly requester: string | null;
  readonly checks: number;
  /** The instance that made it (see ClaimStore.holder); null for claims made before instances were recorded. */
  readonly holder: string | null;
}

export interface ClaimContext {
  readonly door?: Door | undefined;
  readonly requester?: string | null | undefined;
  /** An id chosen by whoever settles the claim (the server's bridge), so it can settle even an unanswered claim. */
  readonly id?: string | undefined;
}

export interface ClaimStore {
  /**
   * This process's mark, stamped on every claim it makes: while it lives, other instances leave
   * its young claims alone (it is still creating their accounts).
   */
  readonly holder: string;
  /** Which of these holders (instances) are alive now. */
  liveHolders(holders: readonly string[]): Promise<ReadonlySet<string>>;
  /**
   * Reserves one use (one conditional UPDATE: not revoked, not expired at `now`, uses + pending <
   * max_uses) and records the claim, in one transaction; undefined when no use is left.
   */
  claim(inviteId: string, username: string | null, now: number, context?: ClaimContext): Promise<string | undefined>;
  findClaim(claimId: string): Promise<StoredClaim | undefined>;
  /**
   * In one transaction: deletes the claim, counts the use (a claim already gone still counts: the
   * account exists), records the redemption and queues the roster steps of `follow`.
   */
  consume(claimId: string, inviteId: string, redemption: RedemptionRecord, follow: FollowUp, now: number): Promise<void>;
  /** A registration that used no invite (open registration). */
  recordRedemption(redemption: RedemptionRecord, now: number): Promise<void>;
  /** This process stops working on the claim (whether the account exists is unknown): any instance may settle it now. */
  leave(claimId: string): Promise<void>;
  /** Gives a claimed use back; nothing when the claim is already gone. */
  release(claimId: string): Promise<void>;
  /** Every claim not yet consumed or released, oldest first. */
  pending(): Promise<PendingClaim[]>;
  /** Counts an attempt to settle a claim the server could not answer. */
  noteCheck(claimId: string, outcome: string): Promise<void>;
  /** Whether a use for `jid` was recorded at or after `since`. */
  redeemedSince(jid: string, since: number): Promise<boolean>;
  lastRedemptionBy(requester: string): Promise<Redemption | undefined>;
}

// ---- roster steps

/** One side of a mutual subscription: `owner` gets `contact` with subscription both. */
export interface RosterTask {
  readonly id: number;
  readonly owner: string;
  readonly contact: string;
  readonly groups: readonly string[];
  readonly attempts: number;
  readonly nextAt: number;
  readonly lastError: string | null;
  readonly doneAt: number | null;
}

/** A pair to subscribe to each other once the account exists. */
export interface Subscription {
  readonly a: string;
  readonly b: string;
  readonly groups: readonly string[];
}

/** What a redemption leads to: subscriptions given, and groups joined (a subscription with every member). */
export interface FollowUp {
  readonly subscriptions: readonly Subscription[];
  readonly groups: readonly string[];
}

export interface RosterQueue {
  groupMembers(group: string): Promise<string[]>;
  /** Unfinished tasks due at `now`, by next_at then id. */
  due(now: number, limit: number): Promise<RosterTask[]>;
  /** When the earliest unfinished task is due, if any is left. */
  nextAt(): Promise<number | undefined>;
  done(id: number, now: number): Promise<void>;
  failed(id: number, nextAt: number, error: string): Promise<void>;
  tasksFor(jid: string): Promise<RosterTask[]>;
}

/** One chat message from the component, waiting for an instance that holds the XMPP link. */
export interface OutboxMessage {
  readonly id: number;
  readonly to: string;
  readonly body: string;
  readonly createdAt: number;
  readonly attempts: number;
}

/**
 * Messages from the component (notices, welcome texts), kept until an instance that holds the
 * component connection sends them: whichever instance served the registration, each is sent once.
 */
export interface Outbox {
  enqueue(to: string, body: string, now: number): Promise<void>;
  /** Unsent messages due at `now`, oldest first. */
  due(now: number, limit: number): Promise<OutboxMessage[]>;
  /** Marks it sent, only if nothing did yet: false when it was already taken. */
  take(id: number, now: number): Promise<boolean>;
  /** Puts a taken message back (the send failed), due again at `nextAt`. */
  putBack(id: number, nextAt: number): Promise<void>;
  /** When the earliest unsent message is due, if any. */
  nextAt(): Promise<number | undefined>;
  /** Drops what was sent before `sentBefore` and what waited unsent since before `givenUpBefore`; answers the unsent ones dropped. */
  purge(sentBefore: number, givenUpBefore: number): Promise<number>;
}

/** XEP-0401 preauth tokens (sealed) by the client's full JID, for the register that follows at any instance. */
export interface PreauthStore {
  /** Keeps it until `expiresAt`, replacing the client's earlier one; drops expired ones. */
  put(requester: string, sealed: Buffer, expiresAt: number, now: number): Promise<void>;
  get(requester: string, now: number): Promise<Buffer | undefined>;
  drop(requester: string): Promise<void>;
}

/** A key's count in its window, and when that window ends. */
export interface WindowCount {
  readonly hits: number;
  readonly resetAt: number;
}

/**
 * Counters of hits per key in fixed windows (the web form's, the API's, the account requests' and
 * the portal's rate limits), kept in the database so that every instance sharing it counts against
 * one limit.
 */
export interface RateLimitStore {
  /** Counts one hit of `key` and answers its window's count (a new window of `windowMs` when the last one ended). */
  hit(key: string, now: number, windowMs: number): Promise<WindowCount>;
  /** Drops the counters whose window ended; answers how many. */
  sweep(now: number): Promise<number>;
}

/**
 * The roster tasks one redemption leads to, one per ordered pair (one roster set replaces an
 * item's groups, so all groups of a pair go into one task). Shared by every implementation.
 */
export function rosterPairs(jid: string, follow: FollowUp, membersOf: (group: string) => readonly string[]): { owner: string; contact: string; groups: string[] }[] {
  const pairs = new Map<string, Set<string>>();
  const add = (owner: string, contact: string, groups: readonly string[]) => {
    if (owner === contact) return;
    const key = `${owner}\n${contact}`;
    const set = pairs.get(key) ?? new Set<string>();
    for (const group of groups) set.add(group);
    pairs.set(key, set);
  };
  for (const { a, b, groups } of follow.subscriptions) {
    add(a, b, groups);
    add(b, a, groups);
  }
  for (const group of follow.groups) {
    for (const member of membersOf(group)) {
      add(member, jid, [group]);
      add(jid, member, [group]);
    }
  }
  return [...pairs].map(([key, groups]) => {
    const [owner = "", contact = ""] = key.split("\n");
    return { owner, contact, groups: [...groups].sort() };
  });
}

// ---- who invited whom

export type InvitationKind = "account" | "contact";

export interface Invitation {
  /** A user's bare JID, or where an invite without one was made ("cli", "api:<key id>"). */
  readonly inviter: string;
  readonly invitee: string;
  readonly kind: InvitationKind;
  readonly inviteId: string | null;
  readonly note: string | null;
  readonly at: number;
}

/**
 * The invitations record: one row per account created with an invite (written in the transaction
 * that records the use, whatever the engine) and per contact invite accepted by an existing account.
 */
export interface InvitationStore {
  /**
   * A contact invite accepted by an existing account: the claimed use becomes a use, the
   * invitation is recorded and the roster steps queued, in one transaction.
   */
  recordAcceptance(claimId: string, invitation: Invitation, follow: FollowUp): Promise<void>;
  /** Every invitation, oldest first. */
  all(): Promise<Invitation[]>;
  byInviter(inviter: string): Promise<Invitation[]>;
  /** How `jid` got its account, if through an invite (the latest such invitation). */
  invitedAs(jid: string): Promise<Invitation | undefined>;
  /** The top of `jid`'s tree: follows account invitations up until nobody invited the account. */
  rootOf(jid: string): Promise<string>;
  /** Accounts created through invites below `root`, at any depth. */
  treeSize(root: string): Promise<number>;
  /** The user's invites that can still be used. */
  activeInvites(inviter: string, now: number): Promise<number>;
  invitesCreatedSince(inviter: string, since: number): Promise<number>;
}

/** Far more than any real chain: a guard against loops in old data, not a limit. */
export const MAX_INVITATION_WALK = 64;

/**
 * The chain above `jid`: how many accounts up, each created through an invite after `since`.
 * Yields the account whose invitation it needs next (`invitedAs`) and returns the number of
 * links; a generator, so a synchronous and an asynchronous store walk it alike.
 */
export function* chainWalk(jid: string, since: number): Generator<string, number, Invitation | undefined> {
  let links = 0;
  let current = jid;
  const seen = new Set([jid]);
  for (let i = 0; i < MAX_INVITATION_WALK; i++) {
    const up = yield current;
    if (!up || up.at <= since) return links;
    links += 1;
    if (!isAccountJid(up.inviter) || seen.has(up.inviter)) return links;
    seen.add(up.inviter);
    current = up.inviter;
  }
  return links;
}

// ---- account requests

export type RequestDecision = "pending" | "approved" | "denied";

export interface AccountRequest {
  readonly id: string;
  readonly username: string;
  readonly message: string | null;
  readonly status: RequestDecision;
  readonly createdAt: number;
  /** Until when it waits for an answer. */
  readonly expiresAt: number;
  readonly decidedAt: number | null;
  readonly decidedBy: string | null;
  readonly inviteId: string | null;
}

/** What the store keeps beyond the request: the status token's hash and the sealing material. */
export interface StoredRequest extends AccountRequest {
  readonly sealingKey: Buffer;
  readonly sealedToken: Buffer | null;
}

export type NewAccountRequest = Omit<StoredRequest, "status" | "decidedAt" | "decidedBy" | "inviteId" | "sealedToken"> & { readonly statusHash: Buffer };

export interface RequestDecisionRecord {
  readonly status: "approved" | "denied";
  readonly at: number;
  readonly by: string;
  readonly inviteId: string | null;
  readonly sealedToken: Buffer | null;
}

export interface AccountRequestStore {
  /**
   * In one transaction (serialised with every other submission): purges requests answered (or
   * expired) before `purgeBefore`, then inserts the request unless `maxPending` requests wait
   * already ("full") or one for the same username waits ("exists"); "id-taken": pick another id.
   */
  submit(request: NewAccountRequest, limits: { readonly now: number; readonly maxPending: number; readonly purgeBefore: number }): Promise<"inserted" | "id-taken" | "full" | "exists">;
  byId(id: string): Promise<StoredRequest | undefined>;
  byStatusHash(hash: Buffer): Promise<StoredRequest | undefined>;
  /** Pending ones (oldest first) when `pendingAt` is given, else all (newest first). */
  list(options: { pendingAt?: number | undefined; limit: number }): Promise<AccountRequest[]>;
  countPending(now: number): Promise<number>;
  /** Records the decision only if the request is still pending and unexpired; false otherwise. */
  decide(id: string, decision: RequestDecisionRecord, now: number): Promise<boolean>;
  /** Deletes requests whose answer (or expiry) is older than `before`; returns how many. */
  purge(before: number): Promise<number>;
}

// ---- API keys

export interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly readOnly: boolean;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
}

export interface ApiKeyStore {
  /** False when the id is already taken (the caller picks another). */
  insert(key: { id: string; name: string; secretHash: Buffer; readOnly: boolean; createdAt: number }): Promise<boolean>;
  /** The key and its secret's hash. */
  find(id: string): Promise<{ key: ApiKey; secretHash: Buffer } | undefined>;
  list(): Promise<ApiKey[]>;
  markUsed(id: string, now: number): Promise<void>;
  revoke(id: string, now: number): Promise<void>;
}

// ---- what the store holds, for metrics

export interface StoreStats {
  /** Invites by kind (as inviteKind names them) and status. */
  readonly invites: readonly { kind: string; status: string; count: number }[];
  readonly pendingClaims: number;
  readonly rosterStepsQueued: number;
  /** Queued steps that failed at least once and wait for a retry. */
  readonly rosterStepsFailing: number;
  readonly redemptions: readonly { door: string; action: string; count: number }[];
}

export interface StatsStore {
  read(now: number): Promise<StoreStats>;
}

// ---- portal sessions and sign-in failures

export interface PortalSession {
  /** The user's bare JID. */
  readonly jid: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/**
 * Who is signed in to the web portal, shared by every instance on the database. Only a hash of a
 * session id is kept (the id itself is the cookie), and no password at all.
 */
export interface PortalSessionStore {
  create(idHash: Buffer, session: PortalSession): Promise<void>;
  /** The session while it has not expired at `now`. */
  find(idHash: Buffer, now: number): Promise<PortalSession | undefined>;
  delete(idHash: Buffer): Promise<void>;
  /** Deletes sessions that expired before `now` and failures older than `failuresBefore`. */
  purge(now: number, failuresBefore: number): Promise<void>;
  /** Records one failed sign-in against each subject ("user:<jid>", "ip:<address>"). */
  noteFailure(subjects: readonly string[], now: number): Promise<void>;
  /** How many failures of `subject` are newer than `since`, and the time of the `nth` newest of them (1-based), if there are that many. */
  failures(subject: string, since: number, nth: number): Promise<{ readonly count: number; readonly nthNewestAt: number | undefined }>;
}

// ---- the whole database

/** A job that must run in one process at a time across every instance sharing the database. */
export type SingletonJob = "housekeeping" | "settlement" | "roster" | "outbox";

/**
 * Short messages between the instances sharing a database, each addressed by the tag of an
 * instance (PostgreSQL: LISTEN/NOTIFY). Delivery is best effort: to running instances only.
 */
export interface InstanceChannel {
  /** This instance's tag: letters and digits. */
  readonly tag: string;
  send(tag: string, message: string): void;
  onMessage(listener: (message: string) => void): void;
}

export interface Stores {
  /** "sqlite" or "postgresql": for the log and the health report. */
  readonly kind: string;
  readonly invites: InviteStore;
  readonly claims: ClaimStore;
  readonly rosterQueue: RosterQueue;
  readonly apiKeys: ApiKeyStore;
  readonly stats: StatsStore;
  /** Who invited whom, and contact invites accepted by existing accounts. */
  readonly invitations: InvitationStore;
  readonly accountRequests: AccountRequestStore;
  readonly portalSessions: PortalSessionStore;
  readonly rateLimits: RateLimitStore;
  readonly outbox: Outbox;
  readonly preauth: PreauthStore;
  /**
   * Resolves once the schema is migrated (every store call waits for it too); rejects when the
   * database cannot be reached or is newer than this program.
   */
  ready(): Promise<void>;
  /** Commits a one-row write: proof the database takes writes now. Never throws. */
  isWritable(now: number): Promise<boolean>;
  /** Engine upkeep (e.g. a WAL checkpoint); nothing when the engine needs none. */
  compact(): Promise<void>;
  /**
   * Runs `work` only if no other process sharing the database runs the same job now (SQLite:
   * one process per file, so always). Resolves to undefined when another process holds it.
   */
  exclusively<T>(job: SingletonJob, work: () => Promise<T>): Promise<T | undefined>;
  /** Absent where one process owns the database (SQLite). */
  readonly channel?: InstanceChannel;
  close(): Promise<void>;
}
