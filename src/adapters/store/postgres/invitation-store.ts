// Who invited whom on PostgreSQL. Invitations of accounts created with an invite are written by a
// trigger (migration 2) in the transaction that records the use; contact acceptances here.
import { type FollowUp, type Invitation, type InvitationStore, MAX_INVITATION_WALK } from "../../../invites/ports/store.js";
import { type Pool, type Queryable, guard, query, transaction } from "./database.js";
import { enqueueRosterSteps } from "./roster-queue.js";
import { INVITATION_COLUMNS, type InvitationRow, toInvitation } from "../rows.js";

export class PostgresInvitationStore implements InvitationStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  recordAcceptance(claimId: string, invitation: Invitation, follow: FollowUp): Promise<void> {
    return guard(() => transaction(this.#pool, async (client) => {
      const held = (await query(client, "claim-delete", "DELETE FROM claims WHERE id = $1", [claimId])).rowCount ?? 0;
      if (invitation.inviteId !== null) {
        await query(client, "invite-consume", "UPDATE invites SET uses = uses + 1, pending = pending - $1 WHERE id = $2", [held, invitation.inviteId]);
      }
      await query(client, "invitation-insert", "INSERT INTO invitations (inviter, invitee, kind, invite_id, note, at) VALUES ($1, $2, $3, $4, $5, $6)",
        [invitation.inviter, invitation.invitee, invitation.kind, invitation.inviteId, invitation.note, invitation.at]);
      await enqueueRosterSteps(client, invitation.invitee, follow, invitation.at);
    }));
  }

  all(): Promise<Invitation[]> {
    return guard(async () => (await query<InvitationRow>(this.#pool, "invitations-all", `SELECT ${INVITATION_COLUMNS} FROM invitations ORDER BY at, id`)).rows.map(toInvitation));
  }

  byInviter(inviter: string): Promise<Invitation[]> {
    return guard(async () =>
      (await query<InvitationRow>(this.#pool, "invitations-by-inviter", `SELECT ${INVITATION_COLUMNS} FROM invitations WHERE inviter = $1 ORDER BY at, id`, [inviter])).rows.map(toInvitation));
  }

  invitedAs(jid: string): Promise<Invitation | undefined> {
    return guard(() => invitedAs(this.#pool, jid));
  }

  rootOf(jid: string): Promise<string> {
    return guard(() => rootOf(this.#pool, jid));
  }

  treeSize(root: string): Promise<number> {
    return guard(() => treeSize(this.#pool, root));
  }

  activeInvites(inviter: string, now: number): Promise<number> {
    return guard(() => activeInvites(this.#pool, inviter, now));
  }

  invitesCreatedSince(inviter: string, since: number): Promise<number> {
    return guard(() => invitesCreatedSince(this.#pool, inviter, since));
  }
}

// The reads below take the pool or a transaction's client (the invite limits count in the insert's).

export async function invitedAs(db: Queryable, jid: string): Promise<Invitation | undefined> {
  const { rows } = await query<InvitationRow>(db, "invitations-invited-as",
    `SELECT ${INVITATION_COLUMNS} FROM invitations WHERE invitee = $1 AND kind = 'account' ORDER BY at DESC, id DESC LIMIT 1`, [jid]);
  return rows[0] && toInvitation(rows[0]);
}

export async function rootOf(db: Queryable, jid: string): Promise<string> {
  let current = jid;
  const seen = new Set<string>([jid]);
  for (let i = 0; i < MAX_INVITATION_WALK; i++) {
    const up = await invitedAs(db, current);
    if (!up || seen.has(up.inviter)) break;
    seen.add(up.inviter);
    current = up.inviter;
  }
  return current;
}

export async function treeSize(db: Queryable, root: string): Promise<number> {
  // Accounts below `root`, however deep (a depth cap keeps a loop in old data finite).
  const { rows } = await query<{ size: number }>(db, "invitations-tree-size",
    `WITH RECURSIVE below(jid, depth) AS (
       SELECT $1::text, 0
       UNION
       SELECT i.invitee, b.depth + 1 FROM invitations i JOIN below b ON i.inviter = b.jid
       WHERE i.kind = 'account' AND b.depth < $2
     ) SELECT COUNT(*) - 1 AS size FROM below`, [root, MAX_INVITATION_WALK]);
  return rows[0]?.size ?? 0;
}

export async function activeInvites(db: Queryable, inviter: string, now: number): Promise<number> {
  const { rows } = await query<{ count: number }>(db, "invites-active-of",
    "SELECT COUNT(*) AS count FROM invites WHERE inviter = $1 AND revoked_at IS NULL AND expires_at > $2 AND uses < max_uses", [inviter, now]);
  return rows[0]?.count ?? 0;
}

export async function invitesCreatedSince(db: Queryable, inviter: string, since: number): Promise<number> {
  const { rows } = await query<{ count: number }>(db, "invites-created-since",
    "SELECT COUNT(*) AS count FROM invites WHERE inviter = $1 AND created_at > $2", [inviter, since]);
  return rows[0]?.count ?? 0;
}
