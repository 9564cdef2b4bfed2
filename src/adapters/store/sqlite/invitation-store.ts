// Who invited whom (the invitations table), contact invites accepted by existing accounts, and the
// counts the invite limits read.
import type { Statement } from "better-sqlite3";
import type { Db } from "./database.js";
import { type FollowUp, type Invitation, MAX_INVITATION_WALK as MAX_WALK } from "../../../invites/ports/store.js";
import type { SqliteRosterQueue } from "./roster-queue.js";
import { INVITATION_COLUMNS, type InvitationRow, toInvitation } from "../rows.js";

export class SqliteInvitationStore {
  readonly #db: Db;
  readonly #queue: SqliteRosterQueue;
  readonly #all: Statement<[], InvitationRow>;
  readonly #byInviter: Statement<[string], InvitationRow>;
  readonly #invitedAs: Statement<[string], InvitationRow>;
  readonly #treeSize: Statement<[string, number], { size: number }>;
  readonly #active: Statement<[string, number], { count: number }>;
  readonly #createdSince: Statement<[string, number], { count: number }>;
  readonly #deleteClaim: Statement;
  readonly #useSlot: Statement;
  readonly #insert: Statement;

  constructor(db: Db, queue: SqliteRosterQueue) {
    this.#db = db;
    this.#queue = queue;
    const columns = INVITATION_COLUMNS;
    this.#all = db.prepare(`SELECT ${columns} FROM invitations ORDER BY at, id`);
    this.#byInviter = db.prepare(`SELECT ${columns} FROM invitations WHERE inviter = ? ORDER BY at, id`);
    this.#invitedAs = db.prepare(`SELECT ${columns} FROM invitations WHERE invitee = ? AND kind = 'account' ORDER BY at DESC, id DESC LIMIT 1`);
    // Accounts below `root`, however deep (a depth cap keeps a loop in old data finite).
    this.#treeSize = db.prepare(
      `WITH RECURSIVE below(jid, depth) AS (
         SELECT ?, 0
         UNION
         SELECT i.invitee, b.depth + 1 FROM invitations i JOIN below b ON i.inviter = b.jid
         WHERE i.kind = 'account' AND b.depth < ?
       ) SELECT COUNT(*) - 1 AS size FROM below`,
    );
    this.#active = db.prepare(
      `SELECT COUNT(*) AS count FROM invites WHERE inviter = ? AND revoked_at IS NULL AND expires_at > ? AND uses < max_uses`,
    );
    this.#createdSince = db.prepare(`SELECT COUNT(*) AS count FROM invites WHERE inviter = ? AND created_at > ?`);
    this.#deleteClaim = db.prepare(`DELETE FROM claims WHERE id = ?`);
    this.#useSlot = db.prepare(`UPDATE invites SET uses = uses + 1, pending = pending - ? WHERE id = ?`);
    this.#insert = db.prepare(`INSERT INTO invitations (inviter, invitee, kind, invite_id, note, at) VALUES (?, ?, ?, ?, ?, ?)`);
  }

  /**
   * A contact invite accepted by an existing account: the claimed use becomes a use, the
   * invitation is recorded and the roster steps queued, in one transaction.
   */
  recordAcceptance(claimId: string, invitation: Invitation, follow: FollowUp): void {
    this.#db.transaction(() => {
      const held = this.#deleteClaim.run(claimId).changes;
      if (invitation.inviteId !== null) this.#useSlot.run(held, invitation.inviteId);
      this.#insert.run(invitation.inviter, invitation.invitee, invitation.kind, invitation.inviteId, invitation.note, invitation.at);
      this.#queue.enqueue(invitation.invitee, follow, invitation.at);
    }).immediate();
  }

  all(): Invitation[] {
    return this.#all.all().map(toInvitation);
  }

  byInviter(inviter: string): Invitation[] {
    return this.#byInviter.all(inviter).map(toInvitation);
  }

  /** How `jid` got its account, if through an invite. */
  invitedAs(jid: string): Invitation | undefined {
    const row = this.#invitedAs.get(jid);
    return row && toInvitation(row);
  }

  /** The top of `jid`'s tree: follows account invitations up until nobody invited the account. */
  rootOf(jid: string): string {
    let current = jid;
    const seen = new Set<string>([jid]);
    for (let i = 0; i < MAX_WALK; i++) {
      const up = this.invitedAs(current);
      if (!up || seen.has(up.inviter)) break;
      seen.add(up.inviter);
      current = up.inviter;
    }
    return current;
  }

  /** Accounts created through invites below `root`, at any depth. */
  treeSize(root: string): number {
    return this.#treeSize.get(root, MAX_WALK)?.size ?? 0;
  }

  /** The user's invites that can still be used. */
  activeInvites(inviter: string, now: number): number {
    return this.#active.get(inviter, now)?.count ?? 0;
  }

  invitesCreatedSince(inviter: string, since: number): number {
    return this.#createdSince.get(inviter, since)?.count ?? 0;
  }
}
