// The roster steps that follow a registration, and group membership, on PostgreSQL.
import { type FollowUp, type RosterQueue, type RosterTask, rosterPairs } from "../../../invites/ports/store.js";
import { type Client, type Pool, guard, query } from "./database.js";
import { LOCK_SPACE } from "./locks.js";
import { TASK_COLUMNS, type TaskRow, toTask } from "../rows.js";

/** Queues the steps for a new account `jid`, inside the caller's transaction. */
export async function enqueueRosterSteps(client: Client, jid: string, follow: FollowUp, now: number): Promise<void> {
  const members = new Map<string, string[]>();
  for (const group of [...new Set(follow.groups)].sort()) {
    // Two accounts joining one group at once must each see the other: joins of a group take turns
    // (SQLite gets this from its single writer).
    await query(client, "group-lock", "SELECT pg_advisory_xact_lock($1, hashtext($2))", [LOCK_SPACE + 1, group]);
    const { rows } = await query<{ jid: string }>(client, "group-members", "SELECT jid FROM group_members WHERE group_name = $1 ORDER BY added_at, jid", [group]);
    members.set(group, rows.map((row) => row.jid));
    await query(client, "group-join", "INSERT INTO group_members (group_name, jid, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [group, jid, now]);
  }
  for (const { owner, contact, groups } of rosterPairs(jid, follow, (group) => members.get(group) ?? [])) {
    await query(client, "task-insert", "INSERT INTO roster_tasks (owner, contact, groups, created_at, next_at) VALUES ($1, $2, $3, $4, $4)",
      [owner, contact, JSON.stringify(groups), now]);
  }
}

export class PostgresRosterQueue implements RosterQueue {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  groupMembers(group: string): Promise<string[]> {
    return guard(async () => {
      const { rows } = await query<{ jid: string }>(this.#pool, "group-members", "SELECT jid FROM group_members WHERE group_name = $1 ORDER BY added_at, jid", [group]);
      return rows.map((row) => row.jid);
    });
  }

  due(now: number, limit: number): Promise<RosterTask[]> {
    return guard(async () => {
      const { rows } = await query<TaskRow>(this.#pool, "tasks-due",
        `SELECT ${TASK_COLUMNS} FROM roster_tasks WHERE done_at IS NULL AND next_at <= $1 ORDER BY next_at, id LIMIT $2`, [now, limit]);
      return rows.map(toTask);
    });
  }

  nextAt(): Promise<number | undefined> {
    return guard(async () => {
      const { rows } = await query<{ next_at: number | null }>(this.#pool, "tasks-next", "SELECT min(next_at) AS next_at FROM roster_tasks WHERE done_at IS NULL");
      return rows[0]?.next_at ?? undefined;
    });
  }

  done(id: number, now: number): Promise<void> {
    return guard(async () => {
      await query(this.#pool, "task-done", "UPDATE roster_tasks SET done_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2", [now, id]);
    });
  }

  failed(id: number, nextAt: number, error: string): Promise<void> {
    return guard(async () => {
      await query(this.#pool, "task-failed", "UPDATE roster_tasks SET attempts = attempts + 1, next_at = $1, last_error = $2 WHERE id = $3", [nextAt, error.slice(0, 500), id]);
    });
  }

  tasksFor(jid: string): Promise<RosterTask[]> {
    return guard(async () => {
      const { rows } = await query<TaskRow>(this.#pool, "tasks-for", `SELECT ${TASK_COLUMNS} FROM roster_tasks WHERE owner = $1 OR contact = $1 ORDER BY id`, [jid]);
      return rows.map(toTask);
    });
  }
}
