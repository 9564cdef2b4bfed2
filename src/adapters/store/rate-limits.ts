// Rate limit counters shared by every instance on the database: one conditional upsert per hit
// (a new window when the row's has ended, else one more hit), the same statement on both engines.
import type { RateLimitStore } from "../../invites/ports/store.js";
import { type SqlEngine, get, run } from "./sql.js";

const HIT = `INSERT INTO rate_limits (key, hits, reset_at) VALUES (?, 1, ?)
  ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN rate_limits.reset_at <= ? THEN 1 ELSE rate_limits.hits + 1 END,
    reset_at = CASE WHEN rate_limits.reset_at <= ? THEN excluded.reset_at ELSE rate_limits.reset_at END
  RETURNING hits, reset_at`;

export function rateLimitStore(engine: SqlEngine): RateLimitStore {
  return {
    async hit(key, now, windowMs) {
      const row = await engine.query(get<{ hits: number | string; reset_at: number | string }>(HIT, key, now + windowMs, now, now));
      // PostgreSQL's BIGINT comes back as a string.
      return row ? { hits: Number(row.hits), resetAt: Number(row.reset_at) } : { hits: 1, resetAt: now + windowMs };
    },
    sweep: (now) => engine.query(run("DELETE FROM rate_limits WHERE reset_at <= ?", now)),
  };
}
