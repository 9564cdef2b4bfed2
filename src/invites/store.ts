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
}

const COLUMNS = "id, type, username, inviter, source, note, created_at, expires_at, max_uses, uses, pending, revoked_at";

function toInvite(row: InviteRow): Invite {
  return {
    id: row.id,
    type: row.type as InviteType,
    username: row.username,
    inviter: row.inviter,
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

export type NewInvite = Pick<Invite, "id" | "type" | "username" | "inviter" | "source" | "note" | "createdAt" | "expiresAt" | "maxUses"> & {
  readonly tokenHash: Buffer;
};

export interface ListOptions {
  /** Include expired, revoked and used-up invites. */
  readonly all?: boolean;
  readonly limit?: number;
  /** Keyset pagination: invites created before this one (by created_at, id). */
  readonly before?: { readonly createdAt: number; readonly id: string };
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
  readonly #releaseSlot: Statement;
  readonly #consumeSlot: Statement;
  readonly #insertRedemption: Statement;
  readonly #staleClaims: Statement<[number], { id: string }>;
  readonly #revoke: Statement;
  readonly #purge: Statement;
  readonly #byRequester: Statement<[string], { invite_id: string | null; jid: string; door: string; requester: string | null; at: number }>;

  constructor(db: Db) {
    this.#db = db;
    this.#insert = db.prepare(
      `INSERT INTO invites (id, token_hash, type, username, inviter, source, note, created_at, expires_at, max_uses)
       VALUES (@id, @tokenHash, @type, @username, @inviter, @source, @note, @createdAt, @expiresAt, @maxUses)`,
    );
    this.#byHash = db.prepare(`SELECT ${COLUMNS} FROM invites WHERE token_hash = ?`);
    this.#byId = db.prepare(`SELECT ${COLUMNS} FROM invites WHERE id = ?`);
    // The claim: one conditional UPDATE, so concurrent redemptions of a k-use invite get at most k slots.
    this.#claimSlot = db.prepare(
      `UPDATE invites SET pending = pending + 1
       WHERE id = ? AND revoked_at IS NULL AND expires_at > ? AND uses + pending < max_uses`,
    );
    this.#insertClaim = db.prepare(`INSERT INTO claims (id, invite_id, username, claimed_at) VALUES (?, ?, ?, ?)`);
    this.#claimInvite = db.prepare(`SELECT invite_id FROM claims WHERE id = ?`);
    this.#deleteClaim = db.prepare(`DELETE FROM claims WHERE id = ?`);
    this.#releaseSlot = db.prepare(`UPDATE invites SET pending = pending - 1 WHERE id = ? AND pending > 0`);
    this.#consumeSlot = db.prepare(`UPDATE invites SET uses = uses + 1, pending = pending - ? WHERE id = ?`);
    this.#insertRedemption = db.prepare(
      `INSERT INTO redemptions (invite_id, jid, door, requester, at) VALUES (?, ?, ?, ?, ?)`,
    );
    this.#staleClaims = db.prepare(`SELECT id FROM claims WHERE claimed_at <= ?`);
    this.#revoke = db.prepare(`UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`);
    this.#purge = db.prepare(`DELETE FROM invites WHERE expires_at <= ? AND pending = 0`);
    this.#byRequester = db.prepare(
      `SELECT invite_id, jid, door, requester, at FROM redemptions WHERE requester = ? ORDER BY at DESC LIMIT 1`,
    );
  }

  /** False when the id is already taken (the caller picks another). */
  insert(invite: NewInvite): boolean {
    try {
      this.#insert.run(invite);
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
  claim(inviteId: string, username: string | null, now: number): string | undefined {
    return this.#db.transaction(() => {
      if (this.#claimSlot.run(inviteId, now).changes !== 1) return undefined;
      const claimId = randomUUID();
      this.#insertClaim.run(claimId, inviteId, username, now);
      return claimId;
    }).immediate();
  }

  /** Turns a claim into a use and records what it created. */
  consume(claimId: string, inviteId: string, redemption: { jid: string; door: Door; requester: string | null }, now: number): void {
    this.#db.transaction(() => {
      // A claim reaped as stale still counts: the account exists.
      const held = this.#deleteClaim.run(claimId).changes;
      this.#consumeSlot.run(held, inviteId);
      this.#insertRedemption.run(inviteId, redemption.jid, redemption.door, redemption.requester, now);
    }).immediate();
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

  recordRedemption(redemption: { jid: string; door: Door; requester: string | null }, now: number): void {
    this.#insertRedemption.run(null, redemption.jid, redemption.door, redemption.requester, now);
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
}

function isPrimaryKeyViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
