// Everything kept in the SQLite file, on one connection (better-sqlite3, synchronous): the SQLite
// SqlEngine, its pragmas and migrations. The stores themselves are shared (../stores.ts).
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { type Stores, StorageUnavailable } from "../../../invites/ports/store.js";
import { type SchemaDialect, migrations } from "../schema.js";
import { type Param, type SqlEngine, type Statement, drive } from "../sql.js";
import { sqlStores } from "../stores.js";

export type Db = Database.Database;

const inviterOf = (p: string) => `COALESCE(${p}inviter,
                  CASE WHEN instr(${p}source, '@') > 0 AND instr(${p}source, '/') > 0 THEN lower(substr(${p}source, 1, instr(${p}source, '/') - 1))
                       WHEN instr(${p}source, '@') > 0 THEN lower(${p}source) END,
                  ${p}source, 'unknown')`;

const DIALECT: SchemaDialect = {
  engine: "sqlite", bytes: "BLOB", time: "INTEGER", bool: "INTEGER", yes: "1", no: "0", serial: "INTEGER PRIMARY KEY", strict: " STRICT", inviterOf,
  invitationTrigger: `  CREATE TRIGGER invitations_from_redemptions AFTER INSERT ON redemptions
  WHEN NEW.action = 'created' AND NEW.invite_id IS NOT NULL
  BEGIN
    INSERT INTO invitations (inviter, invitee, kind, invite_id, note, at)
    SELECT COALESCE(inviter,
                    CASE WHEN instr(source, '@') > 0 AND instr(source, '/') > 0 THEN lower(substr(source, 1, instr(source, '/') - 1))
                         WHEN instr(source, '@') > 0 THEN lower(source) END,
                    source, 'unknown'),
           NEW.jid, 'account', id, note, NEW.at
    FROM invites WHERE id = NEW.invite_id;
  END;`,
};

const MIGRATIONS = migrations(DIALECT);
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Forward only, numbered by PRAGMA user_version, each version in its own transaction. */
export function migrate(db: Db): void {
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

/** Opens (creating file and folder) and migrates the invite database. */
export function openDatabase(path: string): Db {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  // WAL lets the CLI write while the running component reads; busy_timeout covers the overlap.
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  // Checkpoints stall the commit that triggers them; let the WAL grow to ~40 MB between them
  // (housekeeping also checkpoints) so registrations rarely pay for one.
  db.pragma("wal_autocheckpoint = 10000");
  db.pragma("foreign_keys = ON");
  migrate(db);
  return db;
}

/** The database refused a write or a read for a reason outside the program (disk full, read-only, locked, I/O). */
function isSqliteFailure(err: unknown): boolean {
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === "string" && /^SQLITE_(FULL|READONLY|IOERR|BUSY|LOCKED|CANTOPEN|NOMEM|PROTOCOL|CORRUPT|NOTADB)/.test(code);
}

function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(isSqliteFailure(err) ? new StorageUnavailable(err) : err);
  }
}

/** SQLite binds no booleans: 1 and 0. */
const bindable = (params: readonly Param[]) => (params.some((p) => typeof p === "boolean") ? params.map((p) => (typeof p === "boolean" ? Number(p) : p)) : params);

/**
 * Statements are prepared once and run synchronously: a transaction runs from BEGIN IMMEDIATE
 * (the file's write lock, so no other process writes between its reads and writes) to COMMIT
 * without yielding, so nothing else on this connection interleaves. Locks need nothing more.
 */
function sqliteEngine(db: Db): SqlEngine {
  const prepared = new Map<string, Database.Statement>();
  const execute = (statement: Statement): unknown => {
    if (statement.kind === "lock") return undefined;
    let ready = prepared.get(statement.sql);
    if (!ready) prepared.set(statement.sql, (ready = db.prepare(statement.sql)));
    const params = bindable(statement.params);
    if (statement.kind === "run") return ready.run(...params).changes;
    return statement.kind === "get" ? ready.get(...params) : ready.all(...params);
  };
  return {
    query: (work) => settle(() => drive(work, execute)),
    transaction: (work) => settle(() => db.transaction(() => drive(work, execute)).immediate()),
    // One process works on a SQLite file: a claim of another holder was left by an earlier run.
    liveHolders: (holders, self) => Promise.resolve(new Set(holders.filter((holder) => holder === self))),
  };
}

export interface SqliteStores extends Stores {
  /** The connection itself, for tests that inject faults and tools that read the file. */
  readonly db: Db;
}

/** Opens (creating and migrating) the database at `path` (":memory:" for tests). */
export function openSqliteStores(path: string): SqliteStores {
  const db = openDatabase(path);
  return {
    kind: "sqlite",
    db,
    ...sqlStores(sqliteEngine(db)),
    ready: () => Promise.resolve(),
    compact: () => settle(() => void db.pragma("wal_checkpoint(PASSIVE)")),
    // One process owns the file's jobs (the component); the CLI runs none of them.
    exclusively: (_job, work) => work(),
    close: () => settle(() => void db.close()),
  };
}
