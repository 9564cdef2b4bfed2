// The invites table (create, find, revoke, list, purge, the limited insert) and who invited whom
// (the invitations table and the counts the invite limits read), for every engine.
import type { Invite } from "../../invites/domain/invite.js";
import {
  type FollowUp, type Invitation, type InvitationStore, type InviteQuota, type InviteStore, type ListOptions, MAX_INVITATION_WALK, type NewInvite,
  type QuotaBreach, chainWalk,
} from "../../invites/ports/store.js";
import { INVITATION_COLUMNS, INVITE_COLUMNS, type InvitationRow, type InviteRow, toInvitation, toInvite } from "./rows.js";
import { enqueueRosterSteps } from "./roster.js";
import { type Param, type Sql, type SqlEngine, all, get, lock, run } from "./sql.js";

const INSERT = `INSERT INTO invites (id, token_hash, type, username, inviter, allow_registration, groups, source, note, created_at, expires_at, max_uses)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`;

/** False when the id is taken (a random id drawn twice). */
function* insertInvite(i: NewInvite): Sql<boolean> {
  const changed = yield* run(INSERT, i.id, i.tokenHash, i.type, i.username, i.inviter, i.allowRegistration, JSON.stringify(i.groups), i.source, i.note,
    i.createdAt, i.expiresAt, i.maxUses);
  return changed === 1;
}

/** Thrown inside insertMany's transaction to roll it back. */
const ID_TAKEN = Symbol("id taken");

function* insertAll(invites: readonly NewInvite[]): Sql<true> {
  for (const invite of invites) if (!(yield* insertInvite(invite))) throw ID_TAKEN;
  return true;
}

function* findInvite(where: string, value: Param): Sql<Invite | undefined> {
  const row = yield* get<InviteRow>(`SELECT ${INVITE_COLUMNS} FROM invites WHERE ${where} = ?`, value);
  return row && toInvite(row);
}

function* listInvites(now: number, options: ListOptions): Sql<Invite[]> {
  const where: string[] = [];
  const params: Param[] = [];
  if (!options.all) {
    where.push("revoked_at IS NULL AND expires_at > ? AND uses < max_uses");
    params.push(now);
  }
  if (options.before) {
    where.push("(created_at, id) < (?, ?)");
    params.push(options.before.createdAt, options.before.id);
  }
  if (options.inviter !== undefined) {
    where.push("inviter = ?");
    params.push(options.inviter);
  }
  if (options.limit !== undefined) params.push(options.limit);
  const sql = `SELECT ${INVITE_COLUMNS} FROM invites ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
               ORDER BY created_at DESC, id DESC${options.limit === undefined ? "" : " LIMIT ?"}`;
  return (yield* all<InviteRow>(sql, ...params)).map(toInvite);
}

export function inviteStore(engine: SqlEngine): InviteStore {
  /** The last limited insert queued per inviter (see inTurn). */
  const turns = new Map<string, Promise<void>>();
  /**
   * Runs `work` after every earlier call for `inviter` in this process settled: one user's burst
   * waits here, holding at most one pooled connection (else it could hold all of them, each
   * waiting for the inviter's lock, while other requests wait for a connection).
   */
  const inTurn = async <T>(inviter: string, work: () => Promise<T>): Promise<T> => {
    const mine = (turns.get(inviter) ?? Promise.resolve()).then(work);
    const settled = mine.then(() => undefined, () => undefined);
    turns.set(inviter, settled);
    try {
      return await mine;
    } finally {
      if (turns.get(inviter) === settled) turns.delete(inviter);
    }
  };
  return {
    insert: (invite) => engine.query(insertInvite(invite)),
    insertMany: (invites) => engine.transaction(insertAll(invites)).catch((err: unknown) => {
      if (err === ID_TAKEN) return false;
      throw err;
    }),
    // One transaction counts and inserts; limited inserts of one inviter take turns on every
    // instance (the lock), so the counts cannot change before it commits.
    insertLimited: (invite, quota) => inTurn(invite.inviter, () => engine.transaction(insertLimited(invite, quota))),
    findByTokenHash: (tokenHash) => engine.query(findInvite("token_hash", tokenHash)),
    findById: (id) => engine.query(findInvite("id", id)),
    revoke: async (id, now) => (await engine.query(run("UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", now, id))) === 1,
    list: (now, options = {}) => engine.query(listInvites(now, options)),
    // Expired (used, revoked or not) and nothing in flight.
    purgeExpired: (now) => engine.query(run("DELETE FROM invites WHERE expires_at <= ? AND pending = 0", now)),
  };
}

function* insertLimited(invite: NewInvite & { readonly inviter: string }, quota: InviteQuota): Sql<"inserted" | "id-taken" | QuotaBreach> {
  yield* lock("inviter", invite.inviter);
  const breach = yield* breachOf(invite.inviter, invite.createdAt, quota);
  if (breach) return breach;
  return (yield* insertInvite(invite)) ? "inserted" : "id-taken";
}

/** The first limit of `quota` a new invite of `inviter` would break at `now`. */
function* breachOf(inviter: string, now: number, quota: InviteQuota): Sql<QuotaBreach | undefined> {
  return (yield* over("active", quota.maxActive, activeInvites(inviter, now)))
    ?? (yield* over("created", quota.maxCreated, createdSince(inviter, quota.createdSince)))
    ?? (yield* over("chain", quota.maxChain, chainLength(inviter, quota.chainSince)))
    ?? (yield* over("tree", quota.maxTree, treeOf(inviter)));
}

/** A breach when the limit is on and the count (read only then) has reached it. */
function* over(limit: QuotaBreach["limit"], max: number, count: Sql<number>): Sql<QuotaBreach | undefined> {
  if (max <= 0) return undefined;
  const n = yield* count;
  return n >= max ? { limit, count: n } : undefined;
}

function* chainLength(inviter: string, since: number): Sql<number> {
  const walk = chainWalk(inviter, since);
  let step = walk.next();
  while (!step.done) step = walk.next(yield* invitedAs(step.value));
  return step.value;
}

function* treeOf(inviter: string): Sql<number> {
  return yield* treeSize(yield* rootOf(inviter));
}

function* count(sql: string, ...params: Param[]): Sql<number> {
  return (yield* get<{ n: number }>(sql, ...params))?.n ?? 0;
}

const activeInvites = (inviter: string, now: number) =>
  count("SELECT COUNT(*) AS n FROM invites WHERE inviter = ? AND revoked_at IS NULL AND expires_at > ? AND uses < max_uses", inviter, now);

const createdSince = (inviter: string, since: number) => count("SELECT COUNT(*) AS n FROM invites WHERE inviter = ? AND created_at > ?", inviter, since);

/** Accounts below `root`, however deep (a depth cap keeps a loop in old data finite). */
const treeSize = (root: string) => count(
  `WITH RECURSIVE below(jid, depth) AS (
     SELECT CAST(? AS TEXT), 0
     UNION
     SELECT i.invitee, b.depth + 1 FROM invitations i JOIN below b ON i.inviter = b.jid
     WHERE i.kind = 'account' AND b.depth < ?
   ) SELECT COUNT(*) - 1 AS n FROM below`, root, MAX_INVITATION_WALK);

function* invitedAs(jid: string): Sql<Invitation | undefined> {
  const row = yield* get<InvitationRow>(`SELECT ${INVITATION_COLUMNS} FROM invitations WHERE invitee = ? AND kind = 'account' ORDER BY at DESC, id DESC LIMIT 1`, jid);
  return row && toInvitation(row);
}

function* rootOf(jid: string): Sql<string> {
  let current = jid;
  const seen = new Set<string>([jid]);
  for (let i = 0; i < MAX_INVITATION_WALK; i++) {
    const up = yield* invitedAs(current);
    if (!up || seen.has(up.inviter)) break;
    seen.add(up.inviter);
    current = up.inviter;
  }
  return current;
}

function* recordAcceptance(claimId: string, invitation: Invitation, follow: FollowUp): Sql<void> {
  const held = yield* run("DELETE FROM claims WHERE id = ?", claimId);
  if (invitation.inviteId !== null) yield* run("UPDATE invites SET uses = uses + 1, pending = pending - ? WHERE id = ?", held, invitation.inviteId);
  yield* run("INSERT INTO invitations (inviter, invitee, kind, invite_id, note, at) VALUES (?, ?, ?, ?, ?, ?)",
    invitation.inviter, invitation.invitee, invitation.kind, invitation.inviteId, invitation.note, invitation.at);
  yield* enqueueRosterSteps(invitation.invitee, follow, invitation.at);
}

function* invitations(where: string, ...params: Param[]): Sql<Invitation[]> {
  return (yield* all<InvitationRow>(`SELECT ${INVITATION_COLUMNS} FROM invitations ${where} ORDER BY at, id`, ...params)).map(toInvitation);
}

/** The invitations of accounts created with an invite are written by a trigger (schema.ts), in the transaction that records the use. */
export function invitationStore(engine: SqlEngine): InvitationStore {
  return {
    recordAcceptance: (claimId, invitation, follow) => engine.transaction(recordAcceptance(claimId, invitation, follow)),
    all: () => engine.query(invitations("")),
    byInviter: (inviter) => engine.query(invitations("WHERE inviter = ?", inviter)),
    invitedAs: (jid) => engine.query(invitedAs(jid)),
    rootOf: (jid) => engine.query(rootOf(jid)),
    treeSize: (root) => engine.query(treeSize(root)),
    activeInvites: (inviter, now) => engine.query(activeInvites(inviter, now)),
    invitesCreatedSince: (inviter, since) => engine.query(createdSince(inviter, since)),
  };
}
