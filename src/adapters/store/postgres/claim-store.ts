// Claims and redemptions on PostgreSQL. A claim is one statement: the conditional UPDATE that
// takes the use and the INSERT of the claim, so concurrent claims from any number of processes get
// at most max_uses (READ COMMITTED re-checks the WHERE on the row a concurrent claim just updated).
import { randomUUID } from "node:crypto";
import type { Door, Redemption } from "../../../invites/domain/invite.js";
import type { ClaimContext, ClaimStore, FollowUp, PendingClaim, RedemptionRecord, StoredClaim } from "../../../invites/ports/store.js";
import { type Pool, guard, query, transaction } from "./database.js";
import { enqueueRosterSteps } from "./roster-queue.js";
import { PENDING_CLAIM_COLUMNS, type PendingClaimRow, toPendingClaim } from "../rows.js";

/** How long an instance may go without a heartbeat before its claims count as orphaned. */
export const HOLDER_STALE_SECONDS = 10;

export class PostgresClaimStore implements ClaimStore {
  readonly #pool: Pool;
  readonly holder: string;

  constructor(pool: Pool, holder: string) {
    this.#pool = pool;
    this.holder = holder;
  }

  claim(inviteId: string, username: string | null, now: number, context: ClaimContext = {}): Promise<string | undefined> {
    return guard(async () => {
      const { rows } = await query<{ id: string }>(this.#pool, "claim",
        `WITH slot AS (
           UPDATE invites SET pending = pending + 1
           WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2 AND uses + pending < max_uses
           RETURNING id)
         INSERT INTO claims (id, invite_id, username, door, requester, claimed_at, holder)
         SELECT $3, id, $4, $5, $6, $2, $7 FROM slot
         RETURNING id`,
        [inviteId, now, context.id ?? randomUUID(), username, context.door ?? null, context.requester ?? null, this.holder]);
      return rows[0]?.id;
    });
  }

  findClaim(claimId: string): Promise<StoredClaim | undefined> {
    return guard(async () => {
      const { rows } = await query<{ invite_id: string; username: string | null; door: string | null; claimed_at: number }>(this.#pool, "claim-by-id",
        "SELECT invite_id, username, door, claimed_at FROM claims WHERE id = $1", [claimId]);
      const row = rows[0];
      return row && { id: claimId, inviteId: row.invite_id, username: row.username, door: row.door as Door | null, claimedAt: row.claimed_at };
    });
  }

  consume(claimId: string, inviteId: string, redemption: RedemptionRecord, follow: FollowUp, now: number): Promise<void> {
    return guard(() => transaction(this.#pool, async (client) => {
      // A claim already settled as missing still counts: the account exists now.
      const held = (await query(client, "claim-delete", "DELETE FROM claims WHERE id = $1", [claimId])).rowCount ?? 0;
      await query(client, "invite-consume", "UPDATE invites SET uses = uses + 1, pending = pending - $1 WHERE id = $2", [held, inviteId]);
      await query(client, "redemption-insert", "INSERT INTO redemptions (invite_id, jid, door, requester, action, consent_at, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [inviteId, redemption.jid, redemption.door, redemption.requester, redemption.action, redemption.consentAt ?? null, now]);
      await enqueueRosterSteps(client, redemption.jid, follow, now);
    }));
  }

  recordRedemption(redemption: RedemptionRecord, now: number): Promise<void> {
    return guard(async () => {
      await query(this.#pool, "redemption-insert", "INSERT INTO redemptions (invite_id, jid, door, requester, action, consent_at, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [null, redemption.jid, redemption.door, redemption.requester, redemption.action, redemption.consentAt ?? null, now]);
    });
  }

  leave(claimId: string): Promise<void> {
    return guard(async () => {
      await query(this.#pool, "claim-leave", "UPDATE claims SET holder = NULL WHERE id = $1", [claimId]);
    });
  }

  release(claimId: string): Promise<void> {
    return guard(async () => {
      await query(this.#pool, "claim-release",
        `WITH gone AS (DELETE FROM claims WHERE id = $1 RETURNING invite_id)
         UPDATE invites SET pending = pending - 1 WHERE id IN (SELECT invite_id FROM gone) AND pending > 0`, [claimId]);
    });
  }

  pending(): Promise<PendingClaim[]> {
    return guard(async () => {
      const { rows } = await query<PendingClaimRow>(this.#pool, "claims-pending",
        `SELECT ${PENDING_CLAIM_COLUMNS} FROM claims ORDER BY claimed_at, id`);
      return rows.map(toPendingClaim);
    });
  }

  liveHolders(holders: readonly string[]): Promise<ReadonlySet<string>> {
    return guard(async () => {
      const { rows } = await query<{ id: string }>(this.#pool, "instances-live",
        `SELECT id FROM instances WHERE id = ANY($1::text[]) AND seen_at > now() - make_interval(secs => $2)`, [holders, HOLDER_STALE_SECONDS]);
      return new Set(rows.map((row) => row.id));
    });
  }

  noteCheck(claimId: string, outcome: string): Promise<void> {
    return guard(async () => {
      await query(this.#pool, "claim-check", "UPDATE claims SET checks = checks + 1, last_check = $1 WHERE id = $2", [outcome.slice(0, 300), claimId]);
    });
  }

  redeemedSince(jid: string, since: number): Promise<boolean> {
    return guard(async () => {
      const { rows } = await query(this.#pool, "redeemed-since", "SELECT 1 FROM redemptions WHERE jid = $1 AND at >= $2 LIMIT 1", [jid, since]);
      return rows.length > 0;
    });
  }

  lastRedemptionBy(requester: string): Promise<Redemption | undefined> {
    return guard(async () => {
      const { rows } = await query<{ invite_id: string | null; jid: string; door: string; requester: string | null; at: number }>(this.#pool, "redemption-by-requester",
        "SELECT invite_id, jid, door, requester, at FROM redemptions WHERE requester = $1 ORDER BY at DESC, id DESC LIMIT 1", [requester]);
      const row = rows[0];
      return row && { inviteId: row.invite_id, jid: row.jid, door: row.door as Door, requester: row.requester, at: row.at };
    });
  }
}
