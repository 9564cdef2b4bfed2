// Forward-only schema migrations for PostgreSQL, numbered in schema_migrations. They run in one
// transaction under an advisory lock, so instances starting together migrate once.
import { type Pool, transaction } from "./database.js";
import { LOCK_SPACE } from "./locks.js";

/** The same tables and meaning as the SQLite schema (sqlite/migrations.ts), in PostgreSQL types. */
const MIGRATIONS: readonly string[] = [
  // 1: everything SQLite reached in its migrations 1 to 5 (and 8: claims.holder), plus the instances' heartbeats.
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
  // 2 (SQLite 6): who invited whom, kept after the invite itself is purged. As on SQLite, a trigger
  // writes the row of an account created with an invite in the transaction that records the use.
  `
  CREATE TABLE invitations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    inviter     TEXT NOT NULL,
    invitee     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    invite_id   TEXT,
    note        TEXT,
    at          BIGINT NOT NULL
  );
  CREATE INDEX invitations_inviter ON invitations (inviter);
  CREATE INDEX invitations_invitee ON invitations (invitee, at);
  CREATE INDEX invites_inviter ON invites (inviter, created_at);

  -- The inviter: the invite's user, else the bare JID of the admin who made it, else where it was made.
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
  EXECUTE FUNCTION invitations_from_redemptions();

  INSERT INTO invitations (inviter, invitee, kind, invite_id, note, at)
  SELECT invitation_inviter(i.inviter, i.source), r.jid, 'account', i.id, i.note, r.at
  FROM redemptions r JOIN invites i ON i.id = r.invite_id
  WHERE r.action = 'created'
  ORDER BY r.id;
  `,
  // 3 (SQLite 7): requests for an account, and when a new user accepted the terms, with the redemption.
  `
  CREATE TABLE account_requests (
    id            TEXT PRIMARY KEY,
    status_hash   BYTEA NOT NULL UNIQUE,
    sealing_key   BYTEA NOT NULL,
    username      TEXT NOT NULL,
    message       TEXT,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied')),
    decided_at    BIGINT,
    decided_by    TEXT,
    invite_id     TEXT,
    sealed_token  BYTEA
  );
  CREATE INDEX account_requests_pending ON account_requests (status, expires_at);
  CREATE INDEX account_requests_username ON account_requests (username);
  ALTER TABLE redemptions ADD COLUMN consent_at BIGINT;
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
