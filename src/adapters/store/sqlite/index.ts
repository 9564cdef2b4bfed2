// Everything kept in the SQLite file, opened together on one connection. The stores are
// synchronous (better-sqlite3); the core sees them through the async ports of src/invites/ports/store.ts.
import { type Stores, StorageUnavailable } from "../../../invites/ports/store.js";
import { SqliteAccountRequestStore } from "./account-request-store.js";
import { SqliteApiKeyStore } from "./api-key-store.js";
import { SqliteClaimStore } from "./claim-store.js";
import { type Db, isSqliteFailure, isWritable, openDatabase } from "./database.js";
import { SqliteInvitationStore } from "./invitation-store.js";
import { SqliteInviteStore } from "./invite-store.js";
import { SqliteRosterQueue } from "./roster-queue.js";
import { SqliteStatsStore } from "./stats-store.js";

/** A synchronous store seen through its async port: each method, with storage failures made StorageUnavailable. */
type Async<T> = { readonly [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<R> : T[K] };

function run<R>(work: () => R): Promise<R> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(isSqliteFailure(err) ? new StorageUnavailable(err) : err);
  }
}

/** Binds every method of `store`'s class (private fields need the real `this`). */
function asAsync<T extends object>(store: T): Async<T> {
  // Public fields (e.g. the claim holder) are copied as they are.
  const out: Record<string, unknown> = { ...(store as Record<string, unknown>) };
  const prototype = Object.getPrototypeOf(store) as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const method = prototype[name];
    if (name === "constructor" || typeof method !== "function") continue;
    out[name] = (...args: unknown[]) => run(() => (method as (...a: unknown[]) => unknown).apply(store, args));
  }
  return out as Async<T>;
}

export interface SqliteStores extends Stores {
  /** The connection itself, for tests that inject faults and tools that read the file. */
  readonly db: Db;
}

/** Opens (creating and migrating) the database at `path` (":memory:" for tests). */
export function openSqliteStores(path: string): SqliteStores {
  const db = openDatabase(path);
  const rosterQueue = new SqliteRosterQueue(db);
  const invitations = new SqliteInvitationStore(db, rosterQueue);
  return {
    kind: "sqlite",
    db,
    invites: asAsync(new SqliteInviteStore(db, invitations)),
    claims: asAsync(new SqliteClaimStore(db, rosterQueue)),
    rosterQueue: asAsync(rosterQueue),
    apiKeys: asAsync(new SqliteApiKeyStore(db)),
    stats: asAsync(new SqliteStatsStore(db)),
    // The invitations of accounts created with an invite are written by a trigger (migration 6).
    invitations: asAsync(invitations),
    accountRequests: asAsync(new SqliteAccountRequestStore(db)),
    ready: () => Promise.resolve(),
    isWritable: (now) => Promise.resolve(isWritable(db, now)),
    compact: () => run(() => void db.pragma("wal_checkpoint(PASSIVE)")),
    // One process owns the file's jobs (the component); the CLI runs none of them.
    exclusively: (_job, work) => work(),
    close: () => run(() => void db.close()),
  };
}
