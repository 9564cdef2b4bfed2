// The roster steps that follow a registration (XEP-0379 subscriptions, group fan-out), kept in the
// database so an outage or a restart never loses one; and group membership, which exists only to
// know whom a new group member is subscribed with.
import { type FollowUp, type RosterQueue, rosterPairs } from "../../invites/ports/store.js";
import { TASK_COLUMNS, type TaskRow, toTask } from "./rows.js";
import { type Sql, type SqlEngine, all, get, lock, run } from "./sql.js";

function* groupMembers(group: string): Sql<string[]> {
  return (yield* all<{ jid: string }>("SELECT jid FROM group_members WHERE group_name = ? ORDER BY added_at, jid", group)).map((row) => row.jid);
}

/** Queues the steps for a new account `jid`, inside the caller's transaction. */
export function* enqueueRosterSteps(jid: string, follow: FollowUp, now: number): Sql<void> {
  const members = new Map<string, string[]>();
  for (const group of [...new Set(follow.groups)].sort()) {
    // Two accounts joining one group at once must each see the other: joins of a group take turns.
    yield* lock("group", group);
    members.set(group, yield* groupMembers(group));
    yield* run("INSERT INTO group_members (group_name, jid, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", group, jid, now);
  }
  for (const { owner, contact, groups } of rosterPairs(jid, follow, (group) => members.get(group) ?? [])) {
    yield* run("INSERT INTO roster_tasks (owner, contact, groups, created_at, next_at) VALUES (?, ?, ?, ?, ?)", owner, contact, JSON.stringify(groups), now, now);
  }
}

export function rosterQueue(engine: SqlEngine): RosterQueue {
  const tasks = (where: string, ...params: (string | number)[]) =>
    engine.query(all<TaskRow>(`SELECT ${TASK_COLUMNS} FROM roster_tasks WHERE ${where}`, ...params)).then((rows) => rows.map(toTask));
  return {
    groupMembers: (group) => engine.query(groupMembers(group)),
    due: (now, limit) => tasks("done_at IS NULL AND next_at <= ? ORDER BY next_at, id LIMIT ?", now, limit),
    nextAt: async () => (await engine.query(get<{ next_at: number | null }>("SELECT MIN(next_at) AS next_at FROM roster_tasks WHERE done_at IS NULL")))?.next_at ?? undefined,
    done: async (id, now) => {
      await engine.query(run("UPDATE roster_tasks SET done_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?", now, id));
    },
    failed: async (id, nextAt, error) => {
      await engine.query(run("UPDATE roster_tasks SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?", nextAt, error.slice(0, 500), id));
    },
    tasksFor: (jid) => tasks("owner = ? OR contact = ? ORDER BY id", jid, jid),
  };
}
