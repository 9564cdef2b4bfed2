// Forward-only schema migrations, numbered by PRAGMA user_version.
import type { Database } from "better-sqlite3";

const MIGRATIONS: readonly string[] = [
  // 1: invites, in-flight claims and the record of what each redemption created.
  `
  CREATE TABLE invites (
    id          TEXT PRIMARY KEY,
    token_hash  BLOB NOT NULL UNIQUE,
    type        TEXT NOT NULL,
    username    TEXT,
    inviter     TEXT,
    source      TEXT,
    note        TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    max_uses    INTEGER NOT NULL CHECK (max_uses >= 1),
    uses        INTEGER NOT NULL DEFAULT 0,
    pending     INTEGER NOT NULL DEFAULT 0 CHECK (pending >= 0),
    revoked_at  INTEGER
  ) STRICT;
  CREATE INDEX invites_expires ON invites (expires_at);
  CREATE INDEX invites_created ON invites (created_at);

  CREATE TABLE claims (
    id          TEXT PRIMARY KEY,
    invite_id   TEXT NOT NULL REFERENCES invites (id) ON DELETE CASCADE,
    username    TEXT,
    claimed_at  INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX claims_invite ON claims (invite_id);
  CREATE INDEX claims_age ON claims (claimed_at);

  CREATE TABLE redemptions (
    id          INTEGER PRIMARY KEY,
    invite_id   TEXT,
    jid         TEXT NOT NULL,
    door        TEXT NOT NULL,
    requester   TEXT,
    at          INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX redemptions_requester ON redemptions (requester);
  CREATE INDEX redemptions_invite ON redemptions (invite_id);
  `,
  // 2: contact and reset invites, groups, and the roster steps that follow a registration.
  `
  ALTER TABLE invites ADD COLUMN allow_registration INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE invites ADD COLUMN groups TEXT NOT NULL DEFAULT '[]';

  CREATE TABLE group_members (
    group_name  TEXT NOT NULL,
    jid         TEXT NOT NULL,
    added_at    INTEGER NOT NULL,
    PRIMARY KEY (group_name, jid)
  ) STRICT;

  -- One roster item to write: owner gets contact with subscription both. Recorded before it runs
  -- and retried until done, so a mutual subscription is never left half made.
  CREATE TABLE roster_tasks (
    id          INTEGER PRIMARY KEY,
    owner       TEXT NOT NULL,
    contact     TEXT NOT NULL,
    groups      TEXT NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER NOT NULL,
    last_error  TEXT,
    done_at     INTEGER
  ) STRICT;
  CREATE INDEX roster_tasks_due ON roster_tasks (done_at, next_at);
  `,
  // 3: API keys for the HTTP API, stored hashed.
  `
  CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    secret_hash  BLOB NOT NULL,
    read_only    INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
  ) STRICT;
  `,
  // 4: what each redemption did, so metrics read from the store tell accounts from resets even
  // after the invite itself has been purged.
  `
  ALTER TABLE redemptions ADD COLUMN action TEXT NOT NULL DEFAULT 'created';
  UPDATE redemptions SET action = 'password-reset'
    WHERE invite_id IN (SELECT id FROM invites WHERE type = 'reset');
  `,
  // 5: what settling a claim needs after a crash (who asked, through which door — a bridge claim is
  // held by the server — and how often it was checked), and a row the health check writes to prove
  // the file still takes writes.
  `
  ALTER TABLE claims ADD COLUMN door TEXT;
  ALTER TABLE claims ADD COLUMN requester TEXT;
  ALTER TABLE claims ADD COLUMN checks INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE claims ADD COLUMN last_check TEXT;

  CREATE TABLE health (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at  INTEGER NOT NULL
  ) STRICT;
  `,
  // 6: which process made a claim, so several instances on a shared database leave each other's
  // claims in flight alone (SQLite runs one, but the stores share one contract).
  `
  ALTER TABLE claims ADD COLUMN holder TEXT;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrate(db: Database): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(`The database schema (version ${current}) is newer than this program (version ${SCHEMA_VERSION}); upgrade xmpp-invites`);
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version] ?? "");
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
