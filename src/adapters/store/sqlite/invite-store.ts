// SqliteInviteStore: the invites table (create, find, revoke, list, purge), statements prepared once.
import type { Statement } from "better-sqlite3";
import type { Invite } from "../../../invites/domain/invite.js";
import { type InviteQuota, type ListOptions, type NewInvite, type QuotaBreach, chainWalk } from "../../../invites/ports/store.js";
import { type Db, isPrimaryKeyViolation } from "./database.js";
import type { SqliteInvitationStore } from "./invitation-store.js";
import { INVITE_COLUMNS, type InviteRow, toInvite } from "../rows.js";

export class SqliteInviteStore {
  readonly #db: Db;
  readonly #invitations: SqliteInvitationStore;
  readonly #insert: Statement;
  readonly #byHash: Statement<[Buffer], InviteRow>;
  readonly #byId: Statement<[string], InviteRow>;
  readonly #revoke: Statement;
  readonly #purge: Statement;

  constructor(db: Db, invitations: SqliteInvitationStore) {
    this.#db = db;
    this.#invitations = invitations;
    this.#insert = db.prepare(
      `INSERT INTO invites (id, token_hash, type, username, inviter, allow_registration, groups, source, note, created_at, expires_at, max_uses)
       VALUES (@id, @tokenHash, @type, @username, @inviter, @allowRegistration, @groups, @source, @note, @createdAt, @expiresAt, @maxUses)`,
    );
    this.#byHash = db.prepare(`SELECT ${INVITE_COLUMNS} FROM invites WHERE token_hash = ?`);
    this.#byId = db.prepare(`SELECT ${INVITE_COLUMNS} FROM invites WHERE id = ?`);
    this.#revoke = db.prepare(`UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`);
    this.#purge = db.prepare(`DELETE FROM invites WHERE expires_at <= ? AND pending = 0`);
  }

  /** All or nothing: false (nothing inserted) when an id is already taken. */
  insertMany(invites: readonly NewInvite[]): boolean {
    try {
      this.#db.transaction(() => {
        for (const invite of invites) this.#insert.run(this.#params(invite));
      }).immediate();
      return true;
    } catch (err) {
      if (isPrimaryKeyViolation(err)) return false;
      throw err;
    }
  }

  #params(invite: NewInvite) {
    return { ...invite, allowRegistration: invite.allowRegistration ? 1 : 0, groups: JSON.stringify(invite.groups) };
  }

  /** False when the id is already taken (the caller picks another). */
  insert(invite: NewInvite): boolean {
    try {
      this.#insert.run(this.#params(invite));
      return true;
    } catch (err) {
      if (isPrimaryKeyViolation(err)) return false;
      throw err;
    }
  }

  /**
   * See the port: one IMMEDIATE transaction counts and inserts. better-sqlite3 runs it without
   * yielding, and IMMEDIATE takes the file's write lock first, so no other connection or process
   * inserts between the count and the insert.
   */
  insertLimited(invite: NewInvite & { readonly inviter: string }, quota: InviteQuota): "inserted" | "id-taken" | QuotaBreach {
    return this.#db.transaction(() => this.#breach(invite.inviter, invite.createdAt, quota) ?? (this.insert(invite) ? "inserted" : "id-taken")).immediate();
  }

  /** The first limit of `quota` a new invite of `inviter` would break at `now`. */
  #breach(inviter: string, now: number, quota: InviteQuota): QuotaBreach | undefined {
    const store = this.#invitations;
    return over("active", quota.maxActive, () => store.activeInvites(inviter, now))
      ?? over("created", quota.maxCreated, () => store.invitesCreatedSince(inviter, quota.createdSince))
      ?? over("chain", quota.maxChain, () => {
        const walk = chainWalk(inviter, quota.chainSince);
        let step = walk.next();
        while (!step.done) step = walk.next(store.invitedAs(step.value));
        return step.value;
      })
      ?? over("tree", quota.maxTree, () => store.treeSize(store.rootOf(inviter)));
  }

  findByTokenHash(tokenHash: Buffer): Invite | undefined {
    const row = this.#byHash.get(tokenHash);
    return row && toInvite(row);
  }

  findById(id: string): Invite | undefined {
    const row = this.#byId.get(id);
    return row && toInvite(row);
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
    const sql = `SELECT ${INVITE_COLUMNS} FROM invites ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
                 ORDER BY created_at DESC, id DESC LIMIT @limit`;
    return (this.#db.prepare(sql).all(params) as InviteRow[]).map(toInvite);
  }

  /** Deletes invites whose expiry has passed (used, revoked or not) and that have nothing in flight. */
  purgeExpired(now: number): number {
    return this.#purge.run(now).changes;
  }
}

/** A breach when the limit is on and the count (read only then) has reached it. */
function over(limit: QuotaBreach["limit"], max: number, count: () => number): QuotaBreach | undefined {
  if (max <= 0) return undefined;
  const n = count();
  return n >= max ? { limit, count: n } : undefined;
}
