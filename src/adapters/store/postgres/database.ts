// The PostgreSQL connection pool, transactions, and which errors mean "the database is unavailable" (retry later) rather than a bug.
import pg from "pg";
import { StorageUnavailable } from "../../../invites/ports/store.js";

export type Pool = pg.Pool;
export type Client = pg.PoolClient;

const INT8 = 20;
const NUMERIC = 1700;

/** Times are BIGINT milliseconds and counts are BIGINT: both fit a JavaScript number. */
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8 || oid === NUMERIC ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format ?? "text")) as typeof pg.types.getTypeParser,
};

export function createPool(url: string): Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // A database that does not answer is reported as unavailable soon, not after the OS timeout.
    connectionTimeoutMillis: 3000,
    query_timeout: 15_000,
    idleTimeoutMillis: 30_000,
    application_name: "xmpp-invites",
    types,
  });
  // An idle client whose connection drops (a restart) emits here; the pool replaces it.
  pool.on("error", () => undefined);
  return pool;
}

// SQLSTATE classes that say the database cannot serve now: connection exception, insufficient
// resources, operator intervention (shutdown, starting up), system error, transaction rollback
// (serialization, deadlock), lock not available, read-only transaction.
const UNAVAILABLE_CLASSES = new Set(["08", "53", "57", "58", "40", "55"]);
const UNAVAILABLE_CODES = new Set(["25006"]);

/** The database refused or could not be reached, for a reason outside the program. */
export function isPostgresFailure(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (err instanceof pg.DatabaseError) return typeof code === "string" && (UNAVAILABLE_CLASSES.has(code.slice(0, 2)) || UNAVAILABLE_CODES.has(code));
  // No SQLSTATE: the connection itself (refused, reset, timed out, terminated).
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return true;
  const message = err instanceof Error ? err.message : "";
  return /connect|Connection terminated|timeout exceeded|not queryable|Query read timeout/i.test(message);
}

/** Runs `work`; a storage failure comes out as StorageUnavailable. */
export async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw isPostgresFailure(err) ? new StorageUnavailable(err) : err;
  }
}

/** Runs `work` in one transaction on one client; rolled back when it throws. */
export async function transaction<T>(pool: Pool, work: (client: Client) => Promise<T>): Promise<T> {
  const client = await checkOut(pool);
  let broken: unknown;
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch((rollback: unknown) => {
      broken = rollback;
    });
    throw err;
  } finally {
    // A client whose connection failed is dropped, not returned to the pool.
    release(client, broken instanceof Error ? broken : undefined);
  }
}

const listeners = new WeakMap<Client, (err: Error) => void>();
const failed = new WeakMap<Client, Error>();

/**
 * A client of the pool for several statements. A checked-out client whose connection drops
 * emits "error" (a restart of the server): unheard, that would end the process; here it marks
 * the client for disposal, and the statement in flight fails on its own.
 */
export async function checkOut(pool: Pick<Pool, "connect">): Promise<Client> {
  const client = await pool.connect();
  const listener = (err: Error) => {
    failed.set(client, err);
  };
  listeners.set(client, listener);
  client.on("error", listener);
  return client;
}

/** Gives a client back (dropped when `broken`). */
export function release(client: Client, broken?: Error): void {
  const listener = listeners.get(client);
  if (listener) client.off("error", listener);
  client.release(broken ?? failed.get(client));
}
