// The roster steps that follow a registration (XEP-0379 subscriptions, group fan-out), kept in
// SQLite so an outage or a restart never loses one; and group membership, which exists only to
// know whom a new group member is subscribed with.
import type { Statement } from "better-sqlite3";
import type { FollowUp, RosterTask } from "../../../invites/ports/store.js";
import { rosterPairs } from "../../../invites/ports/store.js";
import type { Db } from "./database.js";
import { TASK_COLUMNS, type TaskRow, toTask } from "../rows.js";

export class SqliteRosterQueue {
  readonly #groupMembers: Statement<[string], { jid: string }>;
  readonly #joinGroup: Statement;
  readonly #insertTask: Statement;
  readonly #dueTasks: Statement<[number, number], TaskRow>;
  readonly #nextDue: Statement<[], { next_at: number | null }>;
  readonly #taskDone: Statement;
  readonly #taskFailed: Statement;
  readonly #tasksFor: Statement<[string, string], TaskRow>;

  constructor(db: Db) {
    this.#groupMembers = db.prepare(`SELECT jid FROM group_members WHERE group_name = ? ORDER BY added_at, jid`);
    this.#joinGroup = db.prepare(`INSERT OR IGNORE INTO group_members (group_name, jid, added_at) VALUES (?, ?, ?)`);
    this.#insertTask = db.prepare(`INSERT INTO roster_tasks (owner, contact, groups, created_at, next_at) VALUES (?, ?, ?, ?, ?)`);
    this.#dueTasks = db.prepare(`SELECT ${TASK_COLUMNS} FROM roster_tasks WHERE done_at IS NULL AND next_at <= ? ORDER BY next_at, id LIMIT ?`);
    this.#nextDue = db.prepare(`SELECT MIN(next_at) AS next_at FROM roster_tasks WHERE done_at IS NULL`);
    this.#taskDone = db.prepare(`UPDATE roster_tasks SET done_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?`);
    this.#taskFailed = db.prepare(`UPDATE roster_tasks SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?`);
    this.#tasksFor = db.prepare(`SELECT ${TASK_COLUMNS} FROM roster_tasks WHERE owner = ? OR contact = ? ORDER BY id`);
  }

  /** Queues the steps for a new account `jid`; runs inside the caller's transaction. */
  enqueue(jid: string, follow: FollowUp, now: number): void {
    const pairs = rosterPairs(jid, follow, (group) => this.groupMembers(group));
    for (const group of follow.groups) this.#joinGroup.run(group, jid, now);
    for (const { owner, contact, groups } of pairs) this.#insertTask.run(owner, contact, JSON.stringify(groups), now, now);
  }

  groupMembers(group: string): string[] {
    return this.#groupMembers.all(group).map((row) => row.jid);
  }

  due(now: number, limit: number): RosterTask[] {
    return this.#dueTasks.all(now, limit).map(toTask);
  }

  /** When the earliest unfinished task is due, if any is left. */
  nextAt(): number | undefined {
    return this.#nextDue.get()?.next_at ?? undefined;
  }

  done(id: number, now: number): void {
    this.#taskDone.run(now, id);
  }

  failed(id: number, nextAt: number, error: string): void {
    this.#taskFailed.run(nextAt, error.slice(0, 500), id);
  }

  tasksFor(jid: string): RosterTask[] {
    return this.#tasksFor.all(jid, jid).map(toTask);
  }
}
