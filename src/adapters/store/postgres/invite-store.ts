// The invites table on PostgreSQL.
import type { Invite } from "../../../invites/domain/invite.js";
import { type InviteQuota, type InviteStore, type ListOptions, type NewInvite, type QuotaBreach, chainWalk } from "../../../invites/ports/store.js";
import { type Pool, type Queryable, guard, isUniqueViolation, query, transaction } from "./database.js";
import { activeInvites, invitedAs, invitesCreatedSince, rootOf, treeSize } from "./invitation-store.js";
import { INVITER_SPACE } from "./locks.js";
import { INVITE_COLUMNS, type InviteRow, toInvite } from "../rows.js";

const INSERT = `INSERT INTO invites (id, token_hash, type, username, inviter, allow_registration, groups, source, note, created_at, expires_at, max_uses)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`;

const insertValues = (i: NewInvite) => [i.id, i.tokenHash, i.type, i.username, i.inviter, i.allowRegistration, JSON.stringify(i.groups), i.source, i.note, i.createdAt, i.expiresAt, i.maxUses];

export class PostgresInviteStore implements InviteStore {
  readonly #pool: Pool;
  /** The last limited insert queued per inviter (see #inTurn). */
  readonly #turns = new Map<string, Promise<void>>();

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  insert(invite: NewInvite): Promise<boolean> {
    return guard(() => this.#insert(this.#pool, invite));
  }

  insertMany(invites: readonly NewInvite[]): Promise<boolean> {
    return guard(async () => {
      try {
        await transaction(this.#pool, async (client) => {
          for (const invite of invites) await query(client, "invite-insert", INSERT, insertValues(invite));
        });
        return true;
      } catch (err) {
        if (isUniqueViolation(err, "invites_pkey")) return false;
        throw err;
      }
    });
  }

  insertLimited(invite: NewInvite & { readonly inviter: string }, quota: InviteQuota): Promise<"inserted" | "id-taken" | QuotaBreach> {
    return this.#inTurn(invite.inviter, () => guard(() => transaction(this.#pool, async (client) => {
      // Limited inserts of one inviter take turns, on every instance: the counts cannot change
      // before this transaction commits (READ COMMITTED: each count below sees every earlier turn).
      await query(client, "invite-inviter-lock", "SELECT pg_advisory_xact_lock($1, hashtext($2))", [INVITER_SPACE, invite.inviter]);
      const breach = await breachOf(client, invite.inviter, invite.createdAt, quota);
      if (breach) return breach;
      const inserted = await query(client, "invite-insert-limited", `${INSERT} ON CONFLICT (id) DO NOTHING`, insertValues(invite));
      return inserted.rowCount === 1 ? "inserted" : "id-taken";
    })));
  }

  /**
   * Runs `work` after every earlier call for `inviter` in this process settled: one user's burst
   * waits here, holding at most one pooled connection (else it could hold all of them, each
   * waiting for the advisory lock, while other requests wait for a connection).
   */
  async #inTurn<T>(inviter: string, work: () => Promise<T>): Promise<T> {
    const mine = (this.#turns.get(inviter) ?? Promise.resolve()).then(work);
    const settled = mine.then(() => undefined, () => undefined);
    this.#turns.set(inviter, settled);
    try {
      return await mine;
    } finally {
      if (this.#turns.get(inviter) === settled) this.#turns.delete(inviter);
    }
  }

  async #insert(db: Queryable, invite: NewInvite): Promise<boolean> {
    try {
      await query(db, "invite-insert", INSERT, insertValues(invite));
      return true;
    } catch (err) {
      if (isUniqueViolation(err, "invites_pkey")) return false;
      throw err;
    }
  }

  findByTokenHash(tokenHash: Buffer): Promise<Invite | undefined> {
    return guard(async () => {
      const { rows } = await query<InviteRow>(this.#pool, "invite-by-hash", `SELECT ${INVITE_COLUMNS} FROM invites WHERE token_hash = $1`, [tokenHash]);
      return rows[0] && toInvite(rows[0]);
    });
  }

  findById(id: string): Promise<Invite | undefined> {
    return guard(async () => {
      const { rows } = await query<InviteRow>(this.#pool, "invite-by-id", `SELECT ${INVITE_COLUMNS} FROM invites WHERE id = $1`, [id]);
      return rows[0] && toInvite(rows[0]);
    });
  }

  revoke(id: string, now: number): Promise<boolean> {
    return guard(async () => {
      const result = await query(this.#pool, "invite-revoke", "UPDATE invites SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", [now, id]);
      return result.rowCount === 1;
    });
  }

  list(now: number, options: ListOptions = {}): Promise<Invite[]> {
    const where: string[] = [];
    const values: unknown[] = [options.limit ?? null];
    if (!options.all) {
      values.push(now);
      where.push(`revoked_at IS NULL AND expires_at > $${values.length} AND uses < max_uses`);
    }
    if (options.before) {
      values.push(options.before.createdAt, options.before.id);
      where.push(`(created_at, id) < ($${values.length - 1}, $${values.length})`);
    }
    const text = `SELECT ${INVITE_COLUMNS} FROM invites ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, id DESC LIMIT $1`;
    return guard(async () => {
      const { rows } = await query<InviteRow>(this.#pool, `invite-list-${options.all ? "all" : "active"}-${options.before ? "before" : "top"}`, text, values);
      return rows.map(toInvite);
    });
  }

  purgeExpired(now: number): Promise<number> {
    return guard(async () => (await query(this.#pool, "invite-purge", "DELETE FROM invites WHERE expires_at <= $1 AND pending = 0", [now])).rowCount ?? 0);
  }
}

/** The first limit of `quota` a new invite of `inviter` would break at `now`. */
async function breachOf(db: Queryable, inviter: string, now: number, quota: InviteQuota): Promise<QuotaBreach | undefined> {
  return await over("active", quota.maxActive, () => activeInvites(db, inviter, now))
    ?? await over("created", quota.maxCreated, () => invitesCreatedSince(db, inviter, quota.createdSince))
    ?? await over("chain", quota.maxChain, async () => {
      const walk = chainWalk(inviter, quota.chainSince);
      let step = walk.next();
      while (!step.done) step = walk.next(await invitedAs(db, step.value));
      return step.value;
    })
    ?? await over("tree", quota.maxTree, async () => treeSize(db, await rootOf(db, inviter)));
}

/** A breach when the limit is on and the count (read only then) has reached it. */
async function over(limit: QuotaBreach["limit"], max: number, count: () => Promise<number>): Promise<QuotaBreach | undefined> {
  if (max <= 0) return undefined;
  const n = await count();
  return n >= max ? { limit, count: n } : undefined;
}
