// A SQLite file made by the earlier code (its migrations, copied in fixtures/old-migrations.ts)
// opens with today's store: nothing re-runs, the schema is the one a new file gets, the data works.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { SCHEMA_VERSION, openDatabase, openSqliteStores } from "../../src/adapters/store/sqlite/index.js";
import { OLD_SQLITE_MIGRATIONS } from "./fixtures/old-migrations.js";

const dir = mkdtempSync(join(tmpdir(), "xmpp-invites-upgrade-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let count = 0;

/** A file as the earlier code left it at `version`. */
function oldDatabase(version: number): string {
  const path = join(dir, `old${++count}.sqlite`);
  const db = new Database(path);
  for (let v = 0; v < version; v++) {
    db.exec(OLD_SQLITE_MIGRATIONS[v] ?? "");
    db.pragma(`user_version = ${v + 1}`);
  }
  db.close();
  return path;
}

/** Every table, index and trigger with the statement that made it. */
function schemaOf(path: string): { type: string; name: string; sql: string }[] {
  const db = openDatabase(path);
  try {
    return db.prepare<[], { type: string; name: string; sql: string }>("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name").all();
  } finally {
    db.close();
  }
}

describe("SQLite files made by the earlier schema", () => {
  it("the schema keeps the earlier one, statement for statement; later versions only add to it", () => {
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(OLD_SQLITE_MIGRATIONS.length);
    const old = new Database(oldDatabase(OLD_SQLITE_MIGRATIONS.length));
    const before = old.prepare<[], { type: string; name: string; sql: string }>("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name").all();
    old.close();
    const names = new Set(before.map((entry) => entry.name));
    expect(schemaOf(join(dir, "fresh.sqlite")).filter((entry) => names.has(entry.name))).toEqual(before);
  });

  it("a file left at any earlier version is migrated to the schema of a new file", () => {
    const fresh = schemaOf(join(dir, "fresh-too.sqlite"));
    for (let version = 1; version <= OLD_SQLITE_MIGRATIONS.length; version++) expect(schemaOf(oldDatabase(version)), `from version ${version}`).toEqual(fresh);
  });

  it("opens running only the steps since, reads the old rows and records new uses, with the who-invited-whom trigger", async () => {
    const path = oldDatabase(OLD_SQLITE_MIGRATIONS.length);
    const old = new Database(path);
    old.prepare(`INSERT INTO invites (id, token_hash, type, inviter, source, note, created_at, expires_at, max_uses, allow_registration, groups)
                 VALUES ('i1', x'01', 'account', NULL, 'Admin@Example.test/desk', 'for bob', 1, 9e15, 2, 1, '["team"]')`).run();
    old.close();
    const stores = openSqliteStores(path);
    try {
      expect(stores.db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
      expect(await stores.invites.findById("i1")).toMatchObject({ id: "i1", allowRegistration: true, groups: ["team"], maxUses: 2, uses: 0 });
      const claim = await stores.claims.claim("i1", "bob", 2);
      expect(claim).toBeDefined();
      await stores.claims.consume(claim ?? "", "i1", { jid: "bob@example.test", door: "web", requester: null, action: "created" }, { subscriptions: [], groups: ["team"] }, 3);
      expect(await stores.invites.findById("i1")).toMatchObject({ uses: 1, pending: 0 });
      expect(await stores.invitations.invitedAs("bob@example.test")).toMatchObject({ inviter: "admin@example.test", kind: "account", inviteId: "i1", note: "for bob" });
      expect(await stores.rosterQueue.groupMembers("team")).toEqual(["bob@example.test"]);
    } finally {
      await stores.close();
    }
  });
});
