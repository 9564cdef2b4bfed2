// Messages from the component waiting for an instance that holds the XMPP link. A message is taken
// (sent_at set, conditionally) before it is sent, so two instances never both send it.
import type { Outbox, OutboxMessage } from "../../invites/ports/store.js";
import { type SqlEngine, all, get, run } from "./sql.js";

interface Row { id: number | string; recipient: string; body: string; created_at: number | string; attempts: number }

const toMessage = (row: Row): OutboxMessage => ({ id: Number(row.id), to: row.recipient, body: row.body, createdAt: Number(row.created_at), attempts: row.attempts });

export function outbox(engine: SqlEngine): Outbox {
  return {
    enqueue: async (to, body, now) => {
      await engine.query(run("INSERT INTO outbox (recipient, body, created_at, next_at) VALUES (?, ?, ?, ?)", to, body, now, now));
    },
    due: async (now, limit) => (await engine.query(all<Row>(
      "SELECT id, recipient, body, created_at, attempts FROM outbox WHERE sent_at IS NULL AND next_at <= ? ORDER BY next_at, id LIMIT ?", now, limit))).map(toMessage),
    take: async (id, now) => (await engine.query(run("UPDATE outbox SET sent_at = ?, attempts = attempts + 1 WHERE id = ? AND sent_at IS NULL", now, id))) === 1,
    putBack: async (id, nextAt) => {
      await engine.query(run("UPDATE outbox SET sent_at = NULL, next_at = ? WHERE id = ?", nextAt, id));
    },
    nextAt: async () => {
      const row = await engine.query(get<{ next_at: number | string | null }>("SELECT MIN(next_at) AS next_at FROM outbox WHERE sent_at IS NULL"));
      return row?.next_at === null || row?.next_at === undefined ? undefined : Number(row.next_at);
    },
    purge: async (sentBefore, givenUpBefore) => {
      await engine.query(run("DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?", sentBefore));
      return engine.query(run("DELETE FROM outbox WHERE sent_at IS NULL AND created_at < ?", givenUpBefore));
    },
  };
}
