// The web portal's sessions and failed sign-ins, for every engine.
import type { PortalSession, PortalSessionStore } from "../../invites/ports/store.js";
import { type SqlEngine, get, run } from "./sql.js";

interface SessionRow {
  jid: string;
  created_at: number | string;
  expires_at: number | string;
}

export function portalSessionStore(engine: SqlEngine): PortalSessionStore {
  return {
    async create(idHash, session) {
      await engine.query(run("INSERT INTO portal_sessions (id_hash, jid, created_at, expires_at) VALUES (?, ?, ?, ?)", idHash, session.jid, session.createdAt, session.expiresAt));
    },
    async find(idHash, now): Promise<PortalSession | undefined> {
      const row = await engine.query(get<SessionRow>("SELECT jid, created_at, expires_at FROM portal_sessions WHERE id_hash = ? AND expires_at > ?", idHash, now));
      return row && { jid: row.jid, createdAt: Number(row.created_at), expiresAt: Number(row.expires_at) };
    },
    async delete(idHash) {
      await engine.query(run("DELETE FROM portal_sessions WHERE id_hash = ?", idHash));
    },
    async purge(now, failuresBefore) {
      await engine.query(run("DELETE FROM portal_sessions WHERE expires_at <= ?", now));
      await engine.query(run("DELETE FROM portal_failures WHERE at <= ?", failuresBefore));
    },
    async noteFailure(subjects, now) {
      await engine.transaction((function* () {
        for (const subject of subjects) yield* run("INSERT INTO portal_failures (subject, at) VALUES (?, ?)", subject, now);
      })());
    },
    async failures(subject, since, nth) {
      const count = await engine.query(get<{ n: number | string }>("SELECT COUNT(*) AS n FROM portal_failures WHERE subject = ? AND at > ?", subject, since));
      const at = await engine.query(get<{ at: number | string }>("SELECT at FROM portal_failures WHERE subject = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?", subject, since, nth - 1));
      return { count: Number(count?.n ?? 0), nthNewestAt: at === undefined ? undefined : Number(at.at) };
    },
  };
}
