// Claims and redemptions: a use reserved while the account is being made, then turned into a
// recorded use (with its roster steps, in one transaction) or given back. A claim carries what
// settling it after a crash needs: the username, the door and who asked.
import { randomUUID } from "node:crypto";
import type { Statement } from "better-sqlite3";
import type { Door, Redemption } from "../../../invites/domain/invite.js";
import type { Db } from "./database.js";
import type { ClaimContext, FollowUp, PendingClaim, RedemptionRecord, StoredClaim } from "../../../invites/ports/store.js";
import type { SqliteRosterQueue } from "./roster-queue.js";
import { type PendingClaimRow, toPendingClaim } from "../rows.js";

export class SqliteClaimStore {
  /** One process works on a SQLite file: a claim of another holder was left by an earlier run. */
  readonly holder = randomUUID();
  readonly #db: Db;
  readonly #queue: SqliteRosterQueue;
  readonly #claimSlot: Statement;
  readonly #insertClaim: Statement;
  readonly #deleteClaim: Statement;
  readonly #claimInvite: Statement<[string], { invite_id: string }>;
  readonly #claimById: Statement<[string], { invite_id: string; username: string | null; door: string | null; claimed_at: number }>;
  readonly #releaseSlot: Statement;
  readonly #consumeSlot: Statement;
  readonly #insertRedemption: Statement;
  readonly #pending: Statement<[], PendingClaimRow>;
  readonly #noteCheck: Statement;
  readonly #leave: Statement;
  readonly #redeemedSince: Statement<[string, number], { one: number }>;
  readonly #byRequester: Statement<[string], { invite_id: string | null; jid: string; door: string; requester: string | null; at: number }>;

  constructor(db: Db, queue: SqliteRosterQueue) {
    this.#db = db;
    this.#queue = queue;
    // The claim: one conditional UPDATE, so concurrent redemptions of a k-use invite get at most k slots.
    this.#claimSlot = db.prepare(
      `UPDATE invites SET pending = pending + 1
       WHERE id = ? AND revoked_at IS NULL AND expires_at > ? AND uses + pending < max_uses`,
    );
    this.#insertClaim = db.prepare(`INSERT INTO claims (id, invite_id, username, door, requester, claimed_at, holder) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.#claimInvite = db.prepare(`SELECT invite_id FROM claims WHERE id = ?`);
    this.#claimById = db.prepare(`SELECT invite_id, username, door, claimed_at FROM claims WHERE id = ?`);
    this.#deleteClaim = db.prepare(`DELETE FROM claims WHERE id = ?`);
    this.#releaseSlot = db.prepare(`UPDATE invites SET pending = pending - 1 WHERE id = ? AND pending > 0`);
    this.#consumeSlot = db.prepare(`UPDATE invites SET uses = uses + 1, pending = pending - ? WHERE id = ?`);
    this.#insertRedemption = db.prepare(`INSERT INTO redemptions (invite_id, jid, door, requester, action, consent_at, at) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.#pending = db.prepare(`SELECT id, invite_id, username, door, requester, claimed_at, checks, holder FROM claims ORDER BY claimed_at`);
    this.#leave = db.prepare(`UPDATE claims SET holder = NULL WHERE id = ?`);
    this.#noteCheck = db.prepare(`UPDATE claims SET checks = checks + 1, last_check = ? WHERE id = ?`);
    this.#redeemedSince = db.prepare(`SELECT 1 AS one FROM redemptions WHERE jid = ? AND at >= ? LIMIT 1`);
    this.#byRequester = db.prepare(
      `SELECT invite_id, jid, door, requester, at FROM redemptions WHERE requester = ? ORDER BY at DESC, id DESC LIMIT 1`,
    );
  }

  /** Reserves one use; returns the claim id, or undefined when no use is left. */
  claim(inviteId: string, username: string | null, now: number, context: ClaimContext = {}): string | undefined {
    return this.#db.transaction(() => {
      if (this.#claimSlot.run(inviteId, now).changes !== 1) return undefined;
      const claimId = context.id ?? randomUUID();
      this.#insertClaim.run(claimId, inviteId, username, context.door ?? null, context.requester ?? null, now, this.holder);
      return claimId;
    }).immediate();
  }

  /** A claim still in flight: what it reserves, for whom, and through which door. */
  findClaim(claimId: string): StoredClaim | undefined {
    const row = this.#claimById.get(claimId);
    return row && { id: claimId, inviteId: row.invite_id, username: row.username, door: row.door as Door | null, claimedAt: row.claimed_at };
  }

  /** Turns a claim into a use, records what it created and, in the same transaction, the roster steps that follow. */
  consume(claimId: string, inviteId: string, redemption: RedemptionRecord, follow: FollowUp, now: number): void {
    this.#db.transaction(() => {
      // A claim already settled as missing still counts: the account exists now.
      const held = this.#deleteClaim.run(claimId).changes;
      this.#consumeSlot.run(held, inviteId);
      this.#insertRedemption.run(inviteId, redemption.jid, redemption.door, redemption.requester, redemption.action, redemption.consentAt ?? null, now);
      this.#queue.enqueue(redemption.jid, follow, now);
    }).immediate();
  }

  /** For a registration that used no invite (open registration). */
  recordRedemption(redemption: RedemptionRecord, now: number): void {
    this.#insertRedemption.run(null, redemption.jid, redemption.door, redemption.requester, redemption.action, redemption.consentAt ?? null, now);
  }

  leave(claimId: string): void {
    this.#leave.run(claimId);
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

  /** Every claim not yet consumed or released, oldest first. */
  pending(): PendingClaim[] {
    return this.#pending.all().map(toPendingClaim);
  }

  liveHolders(holders: readonly string[]): ReadonlySet<string> {
    return new Set(holders.filter((holder) => holder === this.holder));
  }

  /** Counts an attempt to settle a claim that the server could not answer. */
  noteCheck(claimId: string, outcome: string): void {
    this.#noteCheck.run(outcome.slice(0, 300), claimId);
  }

  /** Whether a use for `jid` was recorded at or after `since` (by another invite or open registration). */
  redeemedSince(jid: string, since: number): boolean {
    return this.#redeemedSince.get(jid, since) !== undefined;
  }

  lastRedemptionBy(requester: string): Redemption | undefined {
    const row = this.#byRequester.get(requester);
    return row && { inviteId: row.invite_id, jid: row.jid, door: row.door as Door, requester: row.requester, at: row.at };
  }
}
