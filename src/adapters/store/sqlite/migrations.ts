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
  // 6: who invited whom, kept after the invite itself is purged: one row per account created with an
  // invite (written by a trigger in the transaction that records the use) and per contact invite
  // accepted by an existing account. `inviter` is the user the invite came from, else the bare JID
  // of the admin who made it, else where it was made ("cli", "api:<key id>").
  `
  CREATE TABLE invitations (
    id          INTEGER PRIMARY KEY,
    inviter     TEXT NOT NULL,
    invitee     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    invite_id   TEXT,
    note        TEXT,
    at          INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX invitations_inviter ON invitations (inviter);
  CREATE INDEX invitations_invitee ON invitations (invitee, at);
  CREATE INDEX invites_inviter ON invites (inviter, created_at);

  CREATE TRIGGER invitations_from_redemptions AFTER INSERT ON redemptions
  WHEN NEW.action = 'created' AND NEW.invite_id IS NOT NULL
  BEGIN
    INSERT INTO invitations (inviter, invitee, kind, invite_id, note, at)
    SELECT COALESCE(inviter,
                    CASE WHEN instr(source, '@') > 0 AND instr(source, '/') > 0 THEN lower(substr(source, 1, instr(source, '/') - 1))
                         WHEN instr(source, '@') > 0 THEN lower(source) END,
                    source, 'unknown'),
           NEW.jid, 'account', id, note, NEW.at
    FROM invites WHERE id = NEW.invite_id;
  END;

  INSERT INTO invitations (inviter, invitee, kind, invite_id, note, at)
  SELECT COALESCE(i.inviter,
                  CASE WHEN instr(i.source, '@') > 0 AND instr(i.source, '/') > 0 THEN lower(substr(i.source, 1, instr(i.source, '/') - 1))
                       WHEN instr(i.source, '@') > 0 THEN lower(i.source) END,
                  i.source, 'unknown'),
         r.jid, 'account', i.id, i.note, r.at
  FROM redemptions r JOIN invites i ON i.id = r.invite_id
  WHERE r.action = 'created'
  ORDER BY r.id;
  `,
  // 7: requests for an account, decided by an admin (no password is ever kept here: the approved
  // invite's token is sealed to the requester's status link), and the time a new user accepted
  // the site's terms or privacy policy, kept with the redemption.
  `
  CREATE TABLE account_requests (
    id            TEXT PRIMARY KEY,
    status_hash   BLOB NOT NULL UNIQUE,
    sealing_key   BLOB NOT NULL,
    username      TEXT NOT NULL,
    message       TEXT,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied')),
    decided_at    INTEGER,
    decided_by    TEXT,
    invite_id     TEXT,
    sealed_token  BLOB
  ) STRICT;
  CREATE INDEX account_requests_pending ON account_requests (status, expires_at);
  CREATE INDEX account_requests_username ON account_requests (username);
  ALTER TABLE redemptions ADD COLUMN consent_at INTEGER;
  `,
  // 8: which process made a claim, so several instances on a shared database leave each other's
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
