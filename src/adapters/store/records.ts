// Account requests, API keys and the figures the metrics read, for every engine.
import type { AccountRequestStore, ApiKeyStore, NewAccountRequest, StatsStore, StoreStats } from "../../invites/ports/store.js";
import { ACCOUNT_REQUEST_COLUMNS, API_KEY_COLUMNS, type AccountRequestRow, type ApiKeyRow, toAccountRequest, toApiKey, toStoredRequest } from "./rows.js";
import { type Sql, type SqlEngine, all, get, lock, run } from "./sql.js";

const countPending = (now: number) => get<{ n: number }>("SELECT COUNT(*) AS n FROM account_requests WHERE status = 'pending' AND expires_at > ?", now);
const purgeRequests = (before: number) => run("DELETE FROM account_requests WHERE coalesce(decided_at, expires_at) < ?", before);

function* submit(request: NewAccountRequest, limits: { now: number; maxPending: number; purgeBefore: number }): Sql<"inserted" | "id-taken" | "full" | "exists"> {
  // Submissions take turns, so two at once cannot both pass the limits.
  yield* lock("requests");
  yield* purgeRequests(limits.purgeBefore);
  if (((yield* countPending(limits.now))?.n ?? 0) >= limits.maxPending) return "full";
  if (yield* get("SELECT 1 AS one FROM account_requests WHERE username = ? AND status = 'pending' AND expires_at > ? LIMIT 1", request.username, limits.now)) return "exists";
  const inserted = yield* run(
    "INSERT INTO account_requests (id, status_hash, sealing_key, username, message, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
    request.id, request.statusHash, request.sealingKey, request.username, request.message, request.createdAt, request.expiresAt);
  return inserted === 1 ? "inserted" : "id-taken";
}

export function accountRequestStore(engine: SqlEngine): AccountRequestStore {
  const one = async (where: string, value: string | Buffer) => {
    const row = await engine.query(get<AccountRequestRow>(`SELECT ${ACCOUNT_REQUEST_COLUMNS} FROM account_requests WHERE ${where} = ?`, value));
    return row && toStoredRequest(row);
  };
  return {
    submit: (request, limits) => engine.transaction(submit(request, limits)),
    byId: (id) => one("id", id),
    byStatusHash: (hash) => one("status_hash", hash),
    list: async ({ pendingAt, limit }) => {
      const rows = pendingAt === undefined
        ? await engine.query(all<AccountRequestRow>(`SELECT ${ACCOUNT_REQUEST_COLUMNS} FROM account_requests ORDER BY created_at DESC, id LIMIT ?`, limit))
        : await engine.query(all<AccountRequestRow>(
          `SELECT ${ACCOUNT_REQUEST_COLUMNS} FROM account_requests WHERE status = 'pending' AND expires_at > ? ORDER BY created_at, id LIMIT ?`, pendingAt, limit));
      return rows.map(toAccountRequest);
    },
    countPending: async (now) => (await engine.query(countPending(now)))?.n ?? 0,
    decide: async (id, decision, now) => (await engine.query(run(
      "UPDATE account_requests SET status = ?, decided_at = ?, decided_by = ?, invite_id = ?, sealed_token = ? WHERE id = ? AND status = 'pending' AND expires_at > ?",
      decision.status, decision.at, decision.by, decision.inviteId, decision.sealedToken, id, now))) === 1,
    purge: (before) => engine.query(purgeRequests(before)),
  };
}

export function apiKeyStore(engine: SqlEngine): ApiKeyStore {
  const write = async (sql: string, now: number, id: string) => {
    await engine.query(run(sql, now, id));
  };
  return {
    insert: async (key) => (await engine.query(run("INSERT INTO api_keys (id, name, secret_hash, read_only, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
      key.id, key.name, key.secretHash, key.readOnly, key.createdAt))) === 1,
    find: async (id) => {
      const row = await engine.query(get<ApiKeyRow>(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE id = ?`, id));
      return row && { key: toApiKey(row), secretHash: row.secret_hash };
    },
    list: async () => (await engine.query(all<ApiKeyRow>(`SELECT ${API_KEY_COLUMNS} FROM api_keys ORDER BY created_at, id`))).map(toApiKey),
    markUsed: (id, now) => write("UPDATE api_keys SET last_used_at = ? WHERE id = ?", now, id),
    revoke: (id, now) => write("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", now, id),
  };
}

function* readStats(now: number): Sql<StoreStats> {
  // The same rules as inviteKind and inviteStatus in invite.ts.
  const invites = yield* all<{ kind: string; status: string; count: number }>(
    `SELECT CASE
              WHEN type = 'contact' AND allow_registration = TRUE THEN 'contact+register'
              WHEN type = 'account' AND groups <> '[]' THEN 'group'
              ELSE type END AS kind,
            CASE
              WHEN revoked_at IS NOT NULL THEN 'revoked'
              WHEN uses >= max_uses THEN 'used'
              WHEN expires_at <= ? THEN 'expired'
              ELSE 'active' END AS status,
            COUNT(*) AS count
     FROM invites GROUP BY 1, 2 ORDER BY 1, 2`, now);
  const claims = yield* get<{ count: number }>("SELECT COUNT(*) AS count FROM claims");
  const roster = yield* get<{ queued: number; failing: number }>(
    "SELECT COUNT(*) AS queued, COUNT(CASE WHEN attempts > 0 THEN 1 END) AS failing FROM roster_tasks WHERE done_at IS NULL");
  const redemptions = yield* all<{ door: string; action: string; count: number }>(
    "SELECT door, action, COUNT(*) AS count FROM redemptions GROUP BY door, action ORDER BY door, action");
  return {
    invites,
    pendingClaims: claims?.count ?? 0,
    rosterStepsQueued: roster?.queued ?? 0,
    rosterStepsFailing: roster?.failing ?? 0,
    redemptions,
  };
}

export const statsStore = (engine: SqlEngine): StatsStore => ({ read: (now) => engine.query(readStats(now)) });
