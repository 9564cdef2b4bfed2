// The schema, declared once for both engines: forward-only migrations, each step numbered by the
// version it belongs to on each engine (SQLite: PRAGMA user_version; PostgreSQL: schema_migrations).
// PostgreSQL support came later: its version 1 is SQLite's 1 to 5 and 8 at once, its 2 and 3 are
// SQLite's 6 and 7. A step never changes once released (databases have run it); a change is a new step.
// What the engines spell differently (types, the trigger) comes from each engine's SchemaDialect.

export interface SchemaDialect {
  readonly engine: "sqlite" | "postgres";
  readonly bytes: string;
  /** Unix milliseconds. */
  readonly time: string;
  readonly bool: string;
  readonly yes: string;
  readonly no: string;
  /** An integer primary key the database numbers. */
  readonly serial: string;
  /** After a CREATE TABLE's closing parenthesis. */
  readonly strict: string;
  /** The inviter of an invitation from an invite's columns (`i.` or nothing before their names). */
  inviterOf(prefix: string): string;
  /** The trigger that records the invitation of an account created with an invite, in the transaction that records the use. */
  readonly invitationTrigger: string;
}

interface Step {
  readonly sqlite?: number;
  readonly postgres?: number;
  readonly sql: (t: SchemaDialect) => string;
}

const STEPS: readonly Step[] = [
  // 1: invites, in-flight claims and the record of what each redemption created.
  { sqlite: 1, postgres: 1, sql: (t) => `
  CREATE TABLE invites (
    id          TEXT PRIMARY KEY,
    token_hash  ${t.bytes} NOT NULL UNIQUE,
    type        TEXT NOT NULL,
    username    TEXT,
    inviter     TEXT,
    source      TEXT,
    note        TEXT,
    created_at  ${t.time} NOT NULL,
    expires_at  ${t.time} NOT NULL,
    max_uses    INTEGER NOT NULL CHECK (max_uses >= 1),
    uses        INTEGER NOT NULL DEFAULT 0,
    pending     INTEGER NOT NULL DEFAULT 0 CHECK (pending >= 0),
    revoked_at  ${t.time}
  )${t.strict};
  CREATE INDEX invites_expires ON invites (expires_at);
  CREATE INDEX invites_created ON invites (created_at${postgres(t, ", id")});

  CREATE TABLE claims (
    id          TEXT PRIMARY KEY,
    invite_id   TEXT NOT NULL REFERENCES invites (id) ON DELETE CASCADE,
    username    TEXT,
    claimed_at  ${t.time} NOT NULL
  )${t.strict};
  CREATE INDEX claims_invite ON claims (invite_id);
  CREATE INDEX claims_age ON claims (claimed_at);

  CREATE TABLE redemptions (
    id          ${t.serial},
    invite_id   TEXT,
    jid         TEXT NOT NULL,
    door        TEXT NOT NULL,
    requester   TEXT,
    at          ${t.time} NOT NULL
  )${t.strict};
  CREATE INDEX redemptions_requester ON redemptions (requester);
  CREATE INDEX redemptions_invite ON redemptions (invite_id);${postgres(t, `
  CREATE INDEX redemptions_jid ON redemptions (jid, at);`)}
  ` },
  // 2: contact and reset invites, groups, and the roster steps that follow a registration.
  { sqlite: 2, postgres: 1, sql: (t) => `
  ALTER TABLE invites ADD COLUMN allow_registration ${t.bool} NOT NULL DEFAULT ${t.yes};
  ALTER TABLE invites ADD COLUMN groups TEXT NOT NULL DEFAULT '[]';

  CREATE TABLE group_members (
    group_name  TEXT NOT NULL,
    jid         TEXT NOT NULL,
    added_at    ${t.time} NOT NULL,
    PRIMARY KEY (group_name, jid)
  )${t.strict};

  -- One roster item to write: owner gets contact with subscription both. Recorded before it runs
  -- and retried until done, so a mutual subscription is never left half made.
  CREATE TABLE roster_tasks (
    id          ${t.serial},
    owner       TEXT NOT NULL,
    contact     TEXT NOT NULL,
    groups      TEXT NOT NULL DEFAULT '[]',
    created_at  ${t.time} NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     ${t.time} NOT NULL,
    last_error  TEXT,
    done_at     ${t.time}
  )${t.strict};
  CREATE INDEX roster_tasks_due ON roster_tasks ${t.engine === "postgres" ? "(next_at) WHERE done_at IS NULL" : "(done_at, next_at)"};${postgres(t, `
  CREATE INDEX roster_tasks_owner ON roster_tasks (owner);
  CREATE INDEX roster_tasks_contact ON roster_tasks (contact);`)}
  ` },
  // 3: API keys for the HTTP API, stored hashed.
  { sqlite: 3, postgres: 1, sql: (t) => `
  CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    secret_hash  ${t.bytes} NOT NULL,
    read_only    ${t.bool} NOT NULL DEFAULT ${t.no},
    created_at   ${t.time} NOT NULL,
    last_used_at ${t.time},
    revoked_at   ${t.time}
  )${t.strict};
  ` },
  // 4: what each redemption did, so metrics read from the store tell accounts from resets even
  // after the invite itself has been purged.
  { sqlite: 4, postgres: 1, sql: () => `
  ALTER TABLE redemptions ADD COLUMN action TEXT NOT NULL DEFAULT 'created';
  UPDATE redemptions SET action = 'password-reset'
    WHERE invite_id IN (SELECT id FROM invites WHERE type = 'reset');
  ` },
  // 5: what settling a claim needs after a crash (who asked, through which door — a bridge claim is
  // held by the server — and how often it was checked), and a row the health check writes to prove
  // the file still takes writes.
  { sqlite: 5, postgres: 1, sql: (t) => `
  ALTER TABLE claims ADD COLUMN door TEXT;
  ALTER TABLE claims ADD COLUMN requester TEXT;
  ALTER TABLE claims ADD COLUMN checks INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE claims ADD COLUMN last_check TEXT;

  CREATE TABLE health (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at  ${t.time} NOT NULL
  )${t.strict};
  ` },
  // 6: who invited whom, kept after the invite itself is purged: one row per account created with an
  // invite (written by a trigger in the transaction that records the use) and per contact invite
  // accepted by an existing account. `inviter` is the user the invite came from, else the bare JID
  // of the admin who made it, else where it was made ("cli", "api:<key id>").
  { sqlite: 6, postgres: 2, sql: (t) => `
  CREATE TABLE invitations (
    id          ${t.serial},
    inviter     TEXT NOT NULL,
    invitee     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    invite_id   TEXT,
    note        TEXT,
    at          ${t.time} NOT NULL
  )${t.strict};
  CREATE INDEX invitations_inviter ON invitations (inviter);
  CREATE INDEX invitations_invitee ON invitations (invitee, at);
  CREATE INDEX invites_inviter ON invites (inviter, created_at);

${t.invitationTrigger}

  INSERT INTO invitations (inviter, invitee, kind, invite_id, note, at)
  SELECT ${t.inviterOf("i.")},
         r.jid, 'account', i.id, i.note, r.at
  FROM redemptions r JOIN invites i ON i.id = r.invite_id
  WHERE r.action = 'created'
  ORDER BY r.id;
  ` },
  // 7: requests for an account, decided by an admin (no password is ever kept here: the approved
  // invite's token is sealed to the requester's status link), and the time a new user accepted
  // the site's terms or privacy policy, kept with the redemption.
  { sqlite: 7, postgres: 3, sql: (t) => `
  CREATE TABLE account_requests (
    id            TEXT PRIMARY KEY,
    status_hash   ${t.bytes} NOT NULL UNIQUE,
    sealing_key   ${t.bytes} NOT NULL,
    username      TEXT NOT NULL,
    message       TEXT,
    created_at    ${t.time} NOT NULL,
    expires_at    ${t.time} NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied')),
    decided_at    ${t.time},
    decided_by    TEXT,
    invite_id     TEXT,
    sealed_token  ${t.bytes}
  )${t.strict};
  CREATE INDEX account_requests_pending ON account_requests (status, expires_at);
  CREATE INDEX account_requests_username ON account_requests (username);
  ALTER TABLE redemptions ADD COLUMN consent_at ${t.time};
  ` },
  // 8: which process made a claim, so several instances on a shared database leave each other's
  // claims in flight alone (SQLite runs one, but the stores share one contract).
  { sqlite: 8, postgres: 1, sql: () => `
  ALTER TABLE claims ADD COLUMN holder TEXT;
  ` },
  // Each running instance marks itself alive here; a claim whose holder stopped beating is orphaned.
  { postgres: 1, sql: () => `
  CREATE TABLE instances (
    id       TEXT PRIMARY KEY,
    seen_at  TIMESTAMPTZ NOT NULL
  );
  ` },
  // 9: the web portal's sessions (the id's hash only: the id is the cookie) and failed sign-ins,
  // shared by every instance, so a limit on guessing holds across them.
  { sqlite: 9, postgres: 4, sql: (t) => `
  CREATE TABLE portal_sessions (
    id_hash     ${t.bytes} PRIMARY KEY,
    jid         TEXT NOT NULL,
    created_at  ${t.time} NOT NULL,
    expires_at  ${t.time} NOT NULL
  )${t.strict};
  CREATE INDEX portal_sessions_expires ON portal_sessions (expires_at);
  CREATE TABLE portal_failures (
    id          ${t.serial},
    subject     TEXT NOT NULL,
    at          ${t.time} NOT NULL
  )${t.strict};
  CREATE INDEX portal_failures_subject ON portal_failures (subject, at);
  CREATE INDEX portal_failures_at ON portal_failures (at);
  ` },
  // 10: rate limit counters, one row per limit and client address in a fixed window, so instances
  // sharing the database count against one limit.
  { sqlite: 10, postgres: 5, sql: (t) => `
  CREATE TABLE rate_limits (
    key       TEXT PRIMARY KEY,
    hits      INTEGER NOT NULL,
    reset_at  ${t.time} NOT NULL
  )${t.strict};
  CREATE INDEX rate_limits_reset ON rate_limits (reset_at);
  ` },
  // 11: chat messages from the component (notices, welcome texts) waiting for an instance that holds
  // the XMPP link; `sent_at` is set by the one that takes a message, so each is sent once.
  { sqlite: 11, postgres: 6, sql: (t) => `
  CREATE TABLE outbox (
    id          ${t.serial},
    recipient   TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  ${t.time} NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     ${t.time} NOT NULL,
    sent_at     ${t.time}
  )${t.strict};
  CREATE INDEX outbox_due ON outbox (sent_at, next_at);
  ` },
  // 12: XEP-0401 preauth tokens by the client's full JID, sealed with a key from the component
  // secret, so the register that follows may reach another instance (a server that spreads one
  // client's stanzas over several connections).
  { sqlite: 12, postgres: 7, sql: (t) => `
  CREATE TABLE preauth (
    requester     TEXT PRIMARY KEY,
    sealed_token  ${t.bytes} NOT NULL,
    expires_at    ${t.time} NOT NULL
  )${t.strict};
  CREATE INDEX preauth_expires ON preauth (expires_at);
  ` },
];

/** Text only PostgreSQL's schema has: indexes it got when it joined, for its planner. */
const postgres = (t: SchemaDialect, sql: string) => (t.engine === "postgres" ? sql : "");

/** The statements of each version, in order: entry 0 brings an empty database to version 1. */
export function migrations(t: SchemaDialect): string[] {
  const versions: string[] = [];
  for (const step of STEPS) {
    const version = step[t.engine];
    if (version !== undefined) versions[version - 1] = (versions[version - 1] ?? "") + step.sql(t);
  }
  return versions;
}
