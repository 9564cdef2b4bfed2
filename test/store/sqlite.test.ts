// The store contract on SQLite: a file per test, a second connection as the other process.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { type SqliteStores, openSqliteStores } from "../../src/adapters/store/sqlite/index.js";
import { storeContract } from "./contract.js";

const dir = mkdtempSync(join(tmpdir(), "xmpp-invites-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const paths = new WeakMap<object, string>();
let count = 0;

storeContract("SQLite", {
  sharedJobs: false,
  async open() {
    const path = join(dir, `s${++count}.sqlite`);
    const stores = openSqliteStores(path);
    paths.set(stores, path);
    return stores;
  },
  async openPeer(stores) {
    return openSqliteStores(paths.get(stores) ?? "");
  },
  async fail(stores) {
    // The connection refuses every write (SQLITE_READONLY), as on a read-only file system.
    const { db } = stores as SqliteStores;
    db.pragma("query_only = ON");
    return async () => {
      db.pragma("query_only = OFF");
    };
  },
});
