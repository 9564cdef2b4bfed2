// Everything kept in PostgreSQL, over one connection pool: the store ports for instances that
// share one database. Each instance beats a heartbeat (so others know its claims are in flight)
// and takes an advisory lock per singleton job (so housekeeping, settlement and roster steps run
// in one instance at a time).
import { randomUUID } from "node:crypto";
import type { SingletonJob, Stores } from "../../../invites/ports/store.js";
import { PostgresAccountRequestStore } from "./account-request-store.js";
import { PostgresApiKeyStore } from "./api-key-store.js";
import { type PostgresChannel, openChannel } from "./channel.js";
import { PostgresClaimStore } from "./claim-store.js";
import { type Pool, checkOut, createPool, guard, query, release } from "./database.js";
import { PostgresInvitationStore } from "./invitation-store.js";
import { PostgresInviteStore } from "./invite-store.js";
import { JOB_KEYS, LOCK_SPACE } from "./locks.js";
import { migrate } from "./migrations.js";
import { PostgresRosterQueue } from "./roster-queue.js";
import { PostgresStatsStore } from "./stats-store.js";

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
  const holder = randomUUID();
  let migrated: Promise<void> | undefined;
  // A failed attempt (database down at start) is tried again by the next call.
  const ready = () => {
    migrated ??= guard(() => migrate(pool)).catch((err: unknown) => {
      migrated = undefined;
      throw err;
    });
    return migrated;
  };
  /** The same pool, but every query waits for the schema first. */
  const gated = new Proxy(pool, {
    get(target, property, receiver) {
      if (property === "query") {
        return async (...args: Parameters<Pool["query"]>) => {
          await ready();
          return (target.query as (...a: unknown[]) => unknown)(...args);
        };
      }
      if (property === "connect") {
        return async () => {
          await ready();
          return target.connect();
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });

  let beat: NodeJS.Timeout | undefined;
  const heartbeat = async () => {
    try {
      await query(gated, "instance-beat", "INSERT INTO instances (id, seen_at) VALUES ($1, now()) ON CONFLICT (id) DO UPDATE SET seen_at = now()", [holder]);
    } catch {
      // The database is down: the next beat tries again.
    }
  };
  if (options.heartbeat !== false) {
    void heartbeat();
    beat = setInterval(() => void heartbeat(), HEARTBEAT_MS);
    beat.unref();
  }

  return {
    kind: "postgresql",
    pool,
    invites: new PostgresInviteStore(gated),
    claims: new PostgresClaimStore(gated, holder),
    rosterQueue: new PostgresRosterQueue(gated),
    apiKeys: new PostgresApiKeyStore(gated),
    stats: new PostgresStatsStore(gated),
    invitations: new PostgresInvitationStore(gated),
    accountRequests: new PostgresAccountRequestStore(gated),
    ready,
    async isWritable(now) {
      try {
        await query(gated, "health", "INSERT INTO health (id, checked_at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at", [now]);
        return true;
      } catch {
        return false;
      }
    },
    compact: () => guard(async () => {
      // Instances gone for a day are forgotten (their claims were settled long ago).
      await query(gated, "instances-forget", "DELETE FROM instances WHERE seen_at < now() - interval '1 day'");
    }),
    async exclusively<T>(job: SingletonJob, work: () => Promise<T>): Promise<T | undefined> {
      // A session-level lock on one connection, held while the job runs: if this process dies,
      // its connection closes and the lock goes with it.
      const client = await guard(() => checkOut(gated));
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
    },
    ...(channel ? { channel } : {}),
    async close() {
      clearInterval(beat);
      await channel?.close();
      await pool.end();
    },
  };
}
