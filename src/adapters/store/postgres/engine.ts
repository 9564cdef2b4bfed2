// The PostgreSQL SqlEngine: named prepared statements ($n placeholders), advisory locks for the
// dialect's locks, the claim as one statement, the schema's PostgreSQL spelling and its migration.
import type { SchemaDialect } from "../schema.js";
import { migrations } from "../schema.js";
import type { Sql, SqlEngine, Statement } from "../sql.js";
import { type Client, type Pool, guard, transaction } from "./database.js";

/** Advisory lock keys are (space, n), two 32-bit keys, so no other user of the database collides. "xinv". */
export const LOCK_SPACE = 0x78696e76;
/** Jobs that run in one instance at a time (key 0 is the migration lock, 4 the account requests'). */
export const JOB_KEYS = { housekeeping: 1, settlement: 2, roster: 3, outbox: 5 } as const;
/** The dialect's locks: (space, key) with the key hashed, or (LOCK_SPACE, n) for one lock. "xinw" for inviters. */
const LOCKS = { inviter: 0x78696e77, group: LOCK_SPACE + 1, requests: 4 } as const;

/** How long an instance may go without a heartbeat before its claims count as orphaned. */
const HOLDER_STALE_SECONDS = 10;

const DIALECT: SchemaDialect = {
  engine: "postgres", bytes: "BYTEA", time: "BIGINT", bool: "BOOLEAN", yes: "TRUE", no: "FALSE", serial: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", strict: "",
  inviterOf: (p) => `invitation_inviter(${p}inviter, ${p}source)`,
  invitationTrigger: `  -- The inviter: the invite's user, else the bare JID of the admin who made it, else where it was made.
  CREATE FUNCTION invitation_inviter(inviter TEXT, source TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $f$
    SELECT COALESCE(inviter,
                    CASE WHEN strpos(source, '@') > 0 AND strpos(source, '/') > 0 THEN lower(substr(source, 1, strpos(source, '/') - 1))
                         WHEN strpos(source, '@') > 0 THEN lower(source) END,
                    source, 'unknown')
  $f$;

  CREATE FUNCTION invitations_from_redemptions() RETURNS trigger LANGUAGE plpgsql AS $f$
  BEGIN
    INSERT INTO invitations (inviter, invitee, kind, invite_id, note, at)
    SELECT invitation_inviter(i.inviter, i.source), NEW.jid, 'account', i.id, i.note, NEW.at
    FROM invites i WHERE i.id = NEW.invite_id;
    RETURN NULL;
  END
  $f$;

  CREATE TRIGGER invitations_from_redemptions AFTER INSERT ON redemptions
  FOR EACH ROW WHEN (NEW.action = 'created' AND NEW.invite_id IS NOT NULL)
  EXECUTE FUNCTION invitations_from_redemptions();`,
};

const MIGRATIONS = migrations(DIALECT);
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Forward only, numbered in schema_migrations, in one transaction under an advisory lock: instances starting together migrate once. */
export async function migrate(pool: Pool): Promise<void> {
  await transaction(pool, async (client) => {
    // Held until commit: a second instance waits here, then finds nothing left to do.
    await client.query("SELECT pg_advisory_xact_lock($1, 0)", [LOCK_SPACE]);
    await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
    const { rows } = await client.query<{ version: number | null }>("SELECT max(version) AS version FROM schema_migrations");
    const current = rows[0]?.version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(`The database schema (version ${current}) is newer than this program (version ${SCHEMA_VERSION}); upgrade xmpp-invites`);
    }
    for (let version = current; version < SCHEMA_VERSION; version++) {
      await client.query(MIGRATIONS[version] ?? "");
      await client.query("INSERT INTO schema_migrations (version) VALUES ($1)", [version + 1]);
    }
  });
}

/** Each statement's text with $n placeholders, under a name (prepared once per connection). */
const named = new Map<string, { name: string; text: string }>();

function prepared(sql: string): { name: string; text: string } {
  let found = named.get(sql);
  if (!found) {
    let n = 0;
    found = { name: `q${named.size}`, text: sql.replace(/\?/g, () => `$${++n}`) };
    named.set(sql, found);
  }
  return found;
}

async function execute(db: Pool | Client, statement: Statement): Promise<unknown> {
  if (statement.kind === "lock") {
    // Held until the transaction ends.
    const space = LOCKS[statement.lock];
    if (statement.lock === "requests") await db.query({ name: "lock", text: "SELECT pg_advisory_xact_lock($1, $2)", values: [LOCK_SPACE, space] });
    else await db.query({ name: "lock-key", text: "SELECT pg_advisory_xact_lock($1, hashtext($2))", values: [space, statement.key] });
    return undefined;
  }
  const { name, text } = prepared(statement.sql);
  const result = await db.query({ name, text, values: statement.params as unknown[] });
  if (statement.kind === "run") return result.rowCount ?? 0;
  return statement.kind === "get" ? result.rows[0] : result.rows;
}

async function drive<T>(work: Sql<T>, db: Pool | Client): Promise<T> {
  let step = work.next();
  while (!step.done) step = work.next(await execute(db, step.value));
  return step.value;
}

/** Every call waits for `ready` (the schema migrated) first; a storage failure comes out as StorageUnavailable. */
export function postgresEngine(pool: Pool, ready: () => Promise<void>): SqlEngine {
  const gated = <T>(work: () => Promise<T>) => guard(async () => {
    await ready();
    return work();
  });
  return {
    query: (work) => gated(() => drive(work, pool)),
    transaction: (work) => gated(() => transaction(pool, (client) => drive(work, client))),
    // One statement: READ COMMITTED re-checks the UPDATE's WHERE on a row a concurrent claim just
    // updated, so claims from any number of processes get at most max_uses.
    claimStatement: `WITH slot AS (
                       UPDATE invites SET pending = pending + 1
                       WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2 AND uses + pending < max_uses
                       RETURNING id)
                     INSERT INTO claims (id, invite_id, username, door, requester, claimed_at, holder)
                     SELECT $3, id, $4, $5, $6, $2, $7 FROM slot
                     RETURNING id`,
    liveHolders: (holders) => gated(async () => {
      const { rows } = await pool.query<{ id: string }>({
        name: "instances-live",
        text: "SELECT id FROM instances WHERE id = ANY($1::text[]) AND seen_at > now() - make_interval(secs => $2)",
        values: [holders, HOLDER_STALE_SECONDS],
      });
      return new Set(rows.map((row) => row.id));
    }),
  };
}
