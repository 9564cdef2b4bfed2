// Everything kept in PostgreSQL, over one connection pool: the shared stores (../stores.ts) for
// instances that share one database. Each instance beats a heartbeat (so others know its claims
// are in flight) and takes an advisory lock per singleton job (so housekeeping, settlement and
// roster steps run in one instance at a time).
import type { SingletonJob, Stores } from "../../../invites/ports/store.js";
import { sqlStores } from "../stores.js";
import { type PostgresChannel, openChannel } from "./channel.js";
import { type Pool, checkOut, createPool, guard, release } from "./database.js";
import { JOB_KEYS, LOCK_SPACE, migrate, postgresEngine } from "./engine.js";

const HEARTBEAT_MS = 2000;

export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//i.test(database);
}

export interface PostgresStores extends Stores {
  readonly pool: Pool;
}

/**
 * Connects lazily: nothing is asked of the server until the first call, which waits for the
 * migrations. `heartbeat` (default true) marks this process alive for the others and opens the
 * channel between instances.
 */
export function openPostgresStores(url: string, options: { heartbeat?: boolean } = {}): PostgresStores {
  const pool = createPool(url);
  // The CLI (no heartbeat) neither sends nor takes messages.
  const channel: PostgresChannel | undefined = options.heartbeat === false ? undefined : openChannel(url);
  let migrated: Promise<void> | undefined;
  // A failed attempt (database down at start) is tried again by the next call.
  const ready = () => {
    migrated ??= guard(() => migrate(pool)).catch((err: unknown) => {
      migrated = undefined;
      throw err;
    });
    return migrated;
  };
  const stores = sqlStores(postgresEngine(pool, ready));
  const stop = options.heartbeat === false ? undefined : beat(pool, ready, stores.claims.holder);
  return {
    kind: "postgresql",
    pool,
    ...stores,
    ready,
    // Instances gone for a day are forgotten (their claims were settled long ago).
    compact: () => guard(async () => {
      await ready();
      await pool.query("DELETE FROM instances WHERE seen_at < now() - interval '1 day'");
    }),
    exclusively: (job, work) => exclusively(pool, ready, job, work),
    ...(channel ? { channel } : {}),
    async close() {
      stop?.();
      await channel?.close();
      await pool.end();
    },
  };
}

/** Marks `holder` alive every HEARTBEAT_MS; returns how to stop. */
function beat(pool: Pool, ready: () => Promise<void>, holder: string): () => void {
  const heartbeat = async () => {
    try {
      await ready();
      await pool.query({ name: "instance-beat", text: "INSERT INTO instances (id, seen_at) VALUES ($1, now()) ON CONFLICT (id) DO UPDATE SET seen_at = now()", values: [holder] });
    } catch {
      // The database is down: the next beat tries again.
    }
  };
  void heartbeat();
  const timer = setInterval(() => void heartbeat(), HEARTBEAT_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * A session-level lock on one connection, held while the job runs: if this process dies, its
 * connection closes and the lock goes with it.
 */
async function exclusively<T>(pool: Pool, ready: () => Promise<void>, job: SingletonJob, work: () => Promise<T>): Promise<T | undefined> {
  const client = await guard(async () => {
    await ready();
    return checkOut(pool);
  });
  let broken: Error | undefined;
  try {
    const { rows } = await guard(() => client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS locked", [LOCK_SPACE, JOB_KEYS[job]]));
    if (!rows[0]?.locked) return undefined;
    try {
      return await work();
    } finally {
      await client.query("SELECT pg_advisory_unlock($1, $2)", [LOCK_SPACE, JOB_KEYS[job]]).catch((err: unknown) => {
        broken = err instanceof Error ? err : new Error(String(err));
      });
    }
  } catch (err) {
    // Dropping the connection also drops the lock, whatever went wrong.
    broken ??= err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    release(client, broken);
  }
}
