// InviteStore: every SQL statement the invite service runs, prepared once.
import { randomUUID } from "node:crypto";
import type { Statement } from "better-sqlite3";
import type { Db } from "./database.js";
import type { Door, Invite, InviteType, Redemption } from "./invite.js";

interface InviteRow {
  id: string;
  type: string;
  username: string | null;
  inviter: string | null;
  source: string | null;
  note: string | null;
  created_at: number;
  expires_at: number;
  max_uses: number;
  uses: number;
  pending: number;
  revoked_at: number | null;
  allow_registration: number;
  groups: string;
}

const COLUMNS = "id, type, username, inviter, source, note, created_at, expires_at, max_uses, uses, pending, revoked_at, allow_registration, groups";

function toInvite(row: InviteRow): Invite {
  return {
    id: row.id,
    type: row.type as InviteType,
    username: row.username,
    inviter: row.inviter,
    allowRegistration: row.allow_registration === 1,
    groups: JSON.parse(row.groups) as string[],
    source: row.source,
    note: row.note,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    maxUses: row.max_uses,
    uses: row.uses,
    pending: row.pending,
    revokedAt: row.revoked_at,
  };
}

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
}

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

export interface RedemptionRecord {
  readonly jid: string;
  readonly door: Door;
  readonly requester: string | null;
}

interface TaskRow {
  id: number;
  owner: string;
  contact: string;
  groups: string;
  attempts: number;
  next_at: number;
  last_error: string | null;
  done_at: number | null;
}

function toTask(row: TaskRow): RosterTask {
  return {
    id: row.id,
    owner: row.owner,
    contact: row.contact,
    groups: JSON.parse(row.groups) as string[],
    attempts: row.attempts,
    nextAt: row.next_at,
    lastError: row.last_error,
    doneAt: row.done_at,
  };
}

export interface StoredClaim {
  readonly id: string;
  readonly inviteId: string;
  readonly username: string | null;
  readonly door: Door | null;
  readonly claimedAt: number;
}

export class InviteStore {
  readonly #db: Db;
  readonly #insert: Statement;
  readonly #byHash: Statement<[Buffer], InviteRow>;
  readonly #byId: Statement<[string], InviteRow>;
  readonly #claimSlot: Statement;
  readonly #insertClaim: Statement;
  readonly #deleteClaim: Statement;
  readonly #claimInvite: Statement<[string], { invite_id: string }>;
  readonly #claimById: Statement<[string], { invite_id: string; username: string | null; door: string | null; claimed_at: number }>;
  readonly #releaseSlot: Statement;
  readonly #consumeSlot: Statement;
  readonly #insertRedemption: Statement;
  readonly #staleClaims: Statement<[number], { id: string }>;
  readonly #revoke: Statement;
  readonly #purge: Statement;
  readonly #byRequester: Statement<[string], { invite_id: string | null; jid: string; door: string; requester: string | null; at: number }>;
  readonly #groupMembers: Statement<[string], { jid: string }>;
  readonly #joinGroup: Statement;
  readonly #insertTask: Statement;
  readonly #dueTasks: Statement<[number, number], TaskRow>;
  readonly #nextDue: Statement<[], { next_at: number | null }>;
  readonly #taskDone: Statement;
  readonly #taskFailed: Statement;
  readonly #tasksFor: Statement<[string, string], TaskRow>;

  constructor(db: Db) {
    this.#db = db;
    this.#insert = db.prepare(
      `INSERT INTO invites (id, token_hash, type, username, inviter, allow_registration, groups, source, note, created_at, expires_at, max_uses)
       VALUES (@id, @tokenHash, @type, @username, @inviter, @allowRegistration, @groups, @source, @note, @createdAt, @expiresAt, @maxUses)`,
    );
    this.#byHash = db.prepare(`SELECT ${COLUMNS} FROM invites WHERE token_hash = ?`);
    this.#byId = db.prepare(`SELECT ${COLUMNS} FROM invites WHERE id = ?`);
    // The claim: one conditional UPDATE, so concurrent redemptions of a k-use invite get at most k slots.
    this.#claimSlot = db.prepare(
      `UPDATE invites SET pending = pending + 1
       WHERE id = ? AND revoked_at IS NULL AND expires_at > ? AND uses + pending < max_uses`,
    );
    this.#insertClaim = db.prepare(`INSERT INTO claims (id, invite_id, username, claimed_at, door) VALUES (?, ?, ?, ?, ?)`);
    this.#claimInvite = db.prepare(`SELECT invite_id FROM claims WHERE id = ?`);
    this.#claimById = db.prepare(`SELECT invite_id, username, door, claimed_at FROM claims WHERE id = ?`);
    this.#deleteClaim = db.prepare(`DELETE FROM claims WHERE id = ?`);
    this.#releaseSlot = db.prepare(`UPDATE invites SET pending = pending - 1 WHERE id = ? AND pending > 0`);
    this.#consumeSlot = db.prepare(`UPDATE invites SET uses = uses + 1, pending = pending - ? WHERE id = ?`);
    this.#insertRedemption = db.prepare(
      `INSERT INTO redemptions (invite_id, jid, door, requester, at) VALUES (?, ?, ?, ?, ?)`,
    );
    // Bridge claims are left alone: the server may have created the account, so age proves nothing.
    this.#staleClaims = db.prepare(`SELECT id FROM claims WHERE claimed_at <= ? AND door IS NOT 'bridge'`);
    this.#revoke = db.prepare(`UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`);
    this.#purge = db.prepare(`DELETE FROM invites WHERE expires_at <= ? AND pending = 0`);
    this.#byRequester = db.prepare(
      `SELECT invite_id, jid, door, requester, at FROM redemptions WHERE requester = ? ORDER BY at DESC, id DESC LIMIT 1`,
    );
    this.#groupMembers = db.prepare(`SELECT jid FROM group_members WHERE group_name = ? ORDER BY added_at, jid`);
    this.#joinGroup = db.prepare(`INSERT OR IGNORE INTO group_members (group_name, jid, added_at) VALUES (?, ?, ?)`);
    this.#insertTask = db.prepare(`INSERT INTO roster_tasks (owner, contact, groups, created_at, next_at) VALUES (?, ?, ?, ?, ?)`);
    this.#dueTasks = db.prepare(
      `SELECT id, owner, contact, groups, attempts, next_at, last_error, done_at FROM roster_tasks
       WHERE done_at IS NULL AND next_at <= ? ORDER BY next_at, id LIMIT ?`,
    );
    this.#nextDue = db.prepare(`SELECT MIN(next_at) AS next_at FROM roster_tasks WHERE done_at IS NULL`);
    this.#taskDone = db.prepare(`UPDATE roster_tasks SET done_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?`);
    this.#taskFailed = db.prepare(`UPDATE roster_tasks SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?`);
    this.#tasksFor = db.prepare(
      `SELECT id, owner, contact, groups, attempts, next_at, last_error, done_at FROM roster_tasks WHERE owner = ? OR contact = ? ORDER BY id`,
    );
  }

  /** Runs `work` in one (immediate) transaction. */
  transaction<T>(work: () => T): T {
    return this.#db.transaction(work).immediate();
  }

  /** False when the id is already taken (the caller picks another). */
  insert(invite: NewInvite): boolean {
    try {
      this.#insert.run({ ...invite, allowRegistration: invite.allowRegistration ? 1 : 0, groups: JSON.stringify(invite.groups) });
      return true;
    } catch (err) {
      if (isPrimaryKeyViolation(err)) return false;
      throw err;
    }
  }

  findByTokenHash(tokenHash: Buffer): Invite | undefined {
    const row = this.#byHash.get(tokenHash);
    return row && toInvite(row);
  }

  findById(id: string): Invite | undefined {
    const row = this.#byId.get(id);
    return row && toInvite(row);
  }

  /** Reserves one use; returns the claim id, or undefined when no use is left. */
  claim(inviteId: string, username: string | null, now: number, door: Door | null = null): string | undefined {
    return this.#db.transaction(() => {
      if (this.#claimSlot.run(inviteId, now).changes !== 1) return undefined;
      const claimId = randomUUID();
      this.#insertClaim.run(claimId, inviteId, username, now, door);
      return claimId;
    }).immediate();
  }

  /** A claim still in flight: what it reserves, for whom, and through which door. */
  findClaim(claimId: string): StoredClaim | undefined {
    const row = this.#claimById.get(claimId);
    return row && { id: claimId, inviteId: row.invite_id, username: row.username, door: row.door as Door | null, claimedAt: row.claimed_at };
  }

  /**
   * Turns a claim into a use, records what it created, and, in the same transaction, the roster
   * steps that follow: the subscriptions given, plus one with every member of each group joined.
   */
  consume(claimId: string, inviteId: string, redemption: RedemptionRecord, follow: { subscriptions: readonly Subscription[]; groups: readonly string[] }, now: number): void {
    this.#db.transaction(() => {
      // A claim reaped as stale still counts: the account exists.
      const held = this.#deleteClaim.run(claimId).changes;
      this.#consumeSlot.run(held, inviteId);
      this.#insertRedemption.run(inviteId, redemption.jid, redemption.door, redemption.requester, now);
      this.#enqueue(redemption.jid, follow, now);
    }).immediate();
  }

  /** For a registration that used no invite (open registration). */
  recordRedemption(redemption: RedemptionRecord, now: number): void {
    this.#insertRedemption.run(null, redemption.jid, redemption.door, redemption.requester, now);
  }

  #enqueue(jid: string, follow: { subscriptions: readonly Subscription[]; groups: readonly string[] }, now: number): void {
    // One roster set replaces an item's groups, so all groups of a pair go into one task.
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
      for (const { jid: member } of this.#groupMembers.all(group)) {
        add(member, jid, [group]);
        add(jid, member, [group]);
      }
      this.#joinGroup.run(group, jid, now);
    }
    for (const [key, groups] of pairs) {
      const [owner, contact] = key.split("\n");
      this.#insertTask.run(owner, contact, JSON.stringify([...groups].sort()), now, now);
    }
  }

  /** Gives a claimed use back, so the invite stays usable. */
  release(claimId: string): void {
    this.#db.transaction(() => {
      const row = this.#claimInvite.get(claimId);
      if (!row) return;
      this.#deleteClaim.run(claimId);
      this.#releaseSlot.run(row.invite_id);
    }).immediate();
  }

  /** Releases claims older than `cutoff` (left behind by a crash mid-registration). */
  releaseStaleClaims(cutoff: number): number {
    const stale = this.#staleClaims.all(cutoff);
    for (const { id } of stale) this.release(id);
    return stale.length;
  }

  lastRedemptionBy(requester: string): Redemption | undefined {
    const row = this.#byRequester.get(requester);
    return row && { inviteId: row.invite_id, jid: row.jid, door: row.door as Door, requester: row.requester, at: row.at };
  }

  revoke(id: string, now: number): boolean {
    return this.#revoke.run(now, id).changes === 1;
  }

  list(now: number, options: ListOptions = {}): Invite[] {
    const where: string[] = [];
    const params: Record<string, number | string> = { now, limit: options.limit ?? -1 };
    if (!options.all) where.push("revoked_at IS NULL AND expires_at > @now AND uses < max_uses");
    if (options.before) {
      where.push("(created_at, id) < (@beforeCreated, @beforeId)");
      params["beforeCreated"] = options.before.createdAt;
      params["beforeId"] = options.before.id;
    }
    const sql = `SELECT ${COLUMNS} FROM invites ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
                 ORDER BY created_at DESC, id DESC LIMIT @limit`;
    return (this.#db.prepare(sql).all(params) as InviteRow[]).map(toInvite);
  }

  /** Deletes invites whose expiry has passed (used, revoked or not) and that have nothing in flight. */
  purgeExpired(now: number): number {
    return this.#purge.run(now).changes;
  }

  groupMembers(group: string): string[] {
    return this.#groupMembers.all(group).map((row) => row.jid);
  }

  dueRosterTasks(now: number, limit: number): RosterTask[] {
    return this.#dueTasks.all(now, limit).map(toTask);
  }

  /** When the earliest unfinished task is due, if any is left. */
  nextRosterTaskAt(): number | undefined {
    return this.#nextDue.get()?.next_at ?? undefined;
  }

  rosterTaskDone(id: number, now: number): void {
    this.#taskDone.run(now, id);
  }

  rosterTaskFailed(id: number, nextAt: number, error: string): void {
    this.#taskFailed.run(nextAt, error.slice(0, 500), id);
  }

  rosterTasksFor(jid: string): RosterTask[] {
    return this.#tasksFor.all(jid, jid).map(toTask);
  }
}

function isPrimaryKeyViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
