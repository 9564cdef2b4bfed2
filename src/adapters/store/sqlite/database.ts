// Opening the SQLite file: pragmas for a small service that must not lose a write, then migrations.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { migrate } from "./migrations.js";

export type Db = Database.Database;

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

/**
 * Commits a one-row write: proof the database takes writes. Taking the lock alone is not (a full
 * disk still grants it), so something is written; `now` keeps the row changing.
 */
export function isWritable(db: Db, now: number = Date.now()): boolean {
  try {
    db.prepare("INSERT INTO health (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at").run(now);
    return true;
  } catch {
    return false;
  }
}

/** The database refused a write or a read for a reason outside the program (disk full, read-only, locked, I/O). */
export function isSqliteFailure(err: unknown): boolean {
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === "string" && /^SQLITE_(FULL|READONLY|IOERR|BUSY|LOCKED|CANTOPEN|NOMEM|PROTOCOL|CORRUPT|NOTADB)/.test(code);
}

/** An INSERT hit a taken primary key (a random id drawn twice): the caller draws another. */
export function isPrimaryKeyViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
