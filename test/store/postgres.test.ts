// The store contract on a real PostgreSQL (a throwaway cluster, tools/demo/postgres.ts): a database
// per test, a second pool as the other instance, and the server stopped to make it refuse work.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgres } from "../../src/invites/postgres/index.js";
import { SCHEMA_VERSION } from "../../src/invites/postgres/migrations.js";
import { type PostgresServer, startPostgres } from "../../tools/demo/postgres.js";
import { storeContract } from "./contract.js";

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

const urls = new WeakMap<object, string>();
let count = 0;

async function freshDatabase(): Promise<string> {
  const name = `contract${++count}`;
  await server.psql(`CREATE DATABASE ${name} OWNER app`);
  return server.url.replace(/\/[^/]+$/, `/${name}`);
}

storeContract("PostgreSQL", {
  sharedJobs: true,
  async open() {
    const url = await freshDatabase();
    const stores = openPostgres(url);
    await stores.ready();
    urls.set(stores, url);
    return stores;
  },
  async openPeer(stores) {
    const peer = openPostgres(urls.get(stores) ?? "");
    await peer.ready();
    return peer;
  },
  async fail() {
    await server.stopProcess();
    return () => server.startProcess();
  },
});

describe("PostgreSQL migrations", () => {
  it("three instances starting at once on an empty database migrate it once, under the advisory lock", async () => {
    const url = await freshDatabase();
    const instances = [openPostgres(url), openPostgres(url), openPostgres(url)];
    try {
      await Promise.all(instances.map((stores) => stores.ready()));
      const { rows } = await instances[0]!.pool.query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version");
      expect(rows.map((row) => row.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    } finally {
      await Promise.all(instances.map((stores) => stores.close()));
    }
  });

  it("a database that is down at start is reported, and the next call migrates once it is up", async () => {
    const url = await freshDatabase();
    await server.stopProcess();
    const stores = openPostgres(url, { heartbeat: false });
    try {
      await expect(stores.ready()).rejects.toThrow(/database is unavailable/);
      await server.startProcess();
      await stores.ready();
      expect(await stores.invites.list(0)).toEqual([]);
    } finally {
      await server.startProcess().catch(() => undefined);
      await stores.close();
    }
  });
});
