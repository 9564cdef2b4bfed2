// XEP-0401 preauth tokens kept for the register that follows, whichever instance it reaches.
import type { PreauthStore } from "../../invites/ports/store.js";
import { type SqlEngine, get, run } from "./sql.js";

export function preauthStore(engine: SqlEngine): PreauthStore {
  return {
    put: async (requester, sealed, expiresAt, now) => {
      await engine.query(run("DELETE FROM preauth WHERE expires_at <= ?", now));
      await engine.query(run("INSERT INTO preauth (requester, sealed_token, expires_at) VALUES (?, ?, ?) ON CONFLICT (requester) DO UPDATE SET sealed_token = excluded.sealed_token, expires_at = excluded.expires_at", requester, sealed, expiresAt));
    },
    get: async (requester, now) => (await engine.query(get<{ sealed_token: Buffer }>("SELECT sealed_token FROM preauth WHERE requester = ? AND expires_at > ?", requester, now)))?.sealed_token,
    drop: async (requester) => {
      await engine.query(run("DELETE FROM preauth WHERE requester = ?", requester));
    },
  };
}
