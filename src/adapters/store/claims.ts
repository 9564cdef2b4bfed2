// Claims and redemptions: a use reserved while the account is being made, then turned into a
// recorded use (with its roster steps, in one transaction) or given back. A claim carries what
// settling it after a crash needs: the username, the door and who asked.
import { randomUUID } from "node:crypto";
import type { Door } from "../../invites/domain/invite.js";
import type { ClaimStore, FollowUp, RedemptionRecord } from "../../invites/ports/store.js";
import { PENDING_CLAIM_COLUMNS, type PendingClaimRow, toPendingClaim } from "./rows.js";
import { enqueueRosterSteps } from "./roster.js";
import { type Param, type Sql, type SqlEngine, all, get, run } from "./sql.js";

const INSERT_REDEMPTION = "INSERT INTO redemptions (invite_id, jid, door, requester, action, consent_at, at) VALUES (?, ?, ?, ?, ?, ?, ?)";

const redemptionParams = (inviteId: string | null, r: RedemptionRecord, now: number): Param[] =>
  [inviteId, r.jid, r.door, r.requester, r.action, r.consentAt ?? null, now];

/**
 * The claim as two statements in one transaction: the conditional UPDATE takes the use (so
 * concurrent claims of a k-use invite get at most k), then the claim is recorded. The parameters
 * are SqlEngine.claimStatement's: invite id, now, claim id, username, door, requester, holder.
 */
function* claimInTwo([inviteId = null, now = null, claimId = null, username = null, door = null, requester = null, holder = null]: Param[]): Sql<string | undefined> {
  const taken = yield* run("UPDATE invites SET pending = pending + 1 WHERE id = ? AND revoked_at IS NULL AND expires_at > ? AND uses + pending < max_uses", inviteId, now);
  if (taken !== 1) return undefined;
  yield* run("INSERT INTO claims (id, invite_id, username, door, requester, claimed_at, holder) VALUES (?, ?, ?, ?, ?, ?, ?)",
    claimId, inviteId, username, door, requester, now, holder);
  return claimId as string;
}

function* consume(claimId: string, inviteId: string, redemption: RedemptionRecord, follow: FollowUp, now: number): Sql<void> {
  // A claim already settled as missing still counts: the account exists now.
  const held = yield* run("DELETE FROM claims WHERE id = ?", claimId);
  yield* run("UPDATE invites SET uses = uses + 1, pending = pending - ? WHERE id = ?", held, inviteId);
  yield* run(INSERT_REDEMPTION, ...redemptionParams(inviteId, redemption, now));
  yield* enqueueRosterSteps(redemption.jid, follow, now);
}

function* release(claimId: string): Sql<void> {
  const gone = yield* get<{ invite_id: string }>("DELETE FROM claims WHERE id = ? RETURNING invite_id", claimId);
  if (gone) yield* run("UPDATE invites SET pending = pending - 1 WHERE id = ? AND pending > 0", gone.invite_id);
}

export function claimStore(engine: SqlEngine): ClaimStore {
  const holder = randomUUID();
  const write = async (sql: string, ...params: Param[]) => {
    await engine.query(run(sql, ...params));
  };
  return {
    holder,
    liveHolders: (holders) => engine.liveHolders(holders, holder),
    claim: async (inviteId, username, now, context = {}) => {
      const params: Param[] = [inviteId, now, context.id ?? randomUUID(), username, context.door ?? null, context.requester ?? null, holder];
      if (engine.claimStatement === undefined) return engine.transaction(claimInTwo(params));
      return (await engine.query(get<{ id: string }>(engine.claimStatement, ...params)))?.id;
    },
    findClaim: async (claimId) => {
      const row = await engine.query(get<{ invite_id: string; username: string | null; door: string | null; claimed_at: number }>(
        "SELECT invite_id, username, door, claimed_at FROM claims WHERE id = ?", claimId));
      return row && { id: claimId, inviteId: row.invite_id, username: row.username, door: row.door as Door | null, claimedAt: row.claimed_at };
    },
    consume: (claimId, inviteId, redemption, follow, now) => engine.transaction(consume(claimId, inviteId, redemption, follow, now)),
    recordRedemption: (redemption, now) => write(INSERT_REDEMPTION, ...redemptionParams(null, redemption, now)),
    leave: (claimId) => write("UPDATE claims SET holder = NULL WHERE id = ?", claimId),
    release: (claimId) => engine.transaction(release(claimId)),
    pending: async () => (await engine.query(all<PendingClaimRow>(`SELECT ${PENDING_CLAIM_COLUMNS} FROM claims ORDER BY claimed_at, id`))).map(toPendingClaim),
    noteCheck: (claimId, outcome) => write("UPDATE claims SET checks = checks + 1, last_check = ? WHERE id = ?", outcome.slice(0, 300), claimId),
    redeemedSince: async (jid, since) => (await engine.query(get("SELECT 1 AS one FROM redemptions WHERE jid = ? AND at >= ? LIMIT 1", jid, since))) !== undefined,
    lastRedemptionBy: async (requester) => {
      const row = await engine.query(get<{ invite_id: string | null; jid: string; door: string; requester: string | null; at: number }>(
        "SELECT invite_id, jid, door, requester, at FROM redemptions WHERE requester = ? ORDER BY at DESC, id DESC LIMIT 1", requester));
      return row && { inviteId: row.invite_id, jid: row.jid, door: row.door as Door, requester: row.requester, at: row.at };
    },
  };
}
