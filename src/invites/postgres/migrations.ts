// Forward-only schema migrations for PostgreSQL, numbered in schema_migrations. They run in one
// transaction under an advisory lock, so instances starting together migrate once.
import { type Pool, transaction } from "./database.js";
import { LOCK_SPACE } from "./locks.js";

/** The same tables and meaning as the SQLite schema (sqlite/migrations.ts), in PostgreSQL types. */
const MIGRATIONS: readonly string[] = [
  // 1: everything SQLite reached in its migrations 1 to 6, plus the instances' heartbeats.
  `
  CREATE TABLE invites (
    id                 TEXT PRIMARY KEY,
    token_hash         BYTEA NOT NULL UNIQUE,
    type               TEXT NOT NULL,
    username           TEXT,
    inviter            TEXT,
    source             TEXT,
    note               TEXT,
    created_at         BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,
    max_uses           INTEGER NOT NULL CHECK (max_uses >= 1),
    uses               INTEGER NOT NULL DEFAULT 0,
    pending            INTEGER NOT NULL DEFAULT 0 CHECK (pending >= 0),
    revoked_at         BIGINT,
    allow_registration BOOLEAN NOT NULL DEFAULT TRUE,
    groups             TEXT NOT NULL DEFAULT '[]'
  );
  CREATE INDEX invites_expires ON invites (expires_at);
  CREATE INDEX invites_created ON invites (created_at, id);

  CREATE TABLE claims (
    id          TEXT PRIMARY KEY,
    invite_id   TEXT NOT NULL REFERENCES invites (id) ON DELETE CASCADE,
    username    TEXT,
    door        TEXT,
    requester   TEXT,
    claimed_at  BIGINT NOT NULL,
    checks      INTEGER NOT NULL DEFAULT 0,
    last_check  TEXT,
    holder      TEXT
  );
  CREATE INDEX claims_invite ON claims (invite_id);
  CREATE INDEX claims_age ON claims (claimed_at);

  CREATE TABLE redemptions (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invite_id   TEXT,
    jid         TEXT NOT NULL,
    door        TEXT NOT NULL,
    requester   TEXT,
    action      TEXT NOT NULL DEFAULT 'created',
    at          BIGINT NOT NULL
  );
  CREATE INDEX redemptions_requester ON redemptions (requester);
  CREATE INDEX redemptions_invite ON redemptions (invite_id);
  CREATE INDEX redemptions_jid ON redemptions (jid, at);

  CREATE TABLE group_members (
    group_name  TEXT NOT NULL,
    jid         TEXT NOT NULL,
    added_at    BIGINT NOT NULL,
    PRIMARY KEY (group_name, jid)
  );

  CREATE TABLE roster_tasks (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner       TEXT NOT NULL,
    contact     TEXT NOT NULL,
    groups      TEXT NOT NULL DEFAULT '[]',
    created_at  BIGINT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     BIGINT NOT NULL,
    last_error  TEXT,
    done_at     BIGINT
  );
  CREATE INDEX roster_tasks_due ON roster_tasks (next_at) WHERE done_at IS NULL;
  CREATE INDEX roster_tasks_owner ON roster_tasks (owner);
  CREATE INDEX roster_tasks_contact ON roster_tasks (contact);

  CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    secret_hash  BYTEA NOT NULL,
    read_only    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
  );

  CREATE TABLE health (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at  BIGINT NOT NULL
  );

  -- Each running instance marks itself alive here; a claim whose holder stopped beating is orphaned.
  CREATE TABLE instances (
    id       TEXT PRIMARY KEY,
    seen_at  TIMESTAMPTZ NOT NULL
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

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
