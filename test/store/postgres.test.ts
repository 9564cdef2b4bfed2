// The store contract on a real PostgreSQL (a throwaway cluster, tools/demo/postgres.ts): a database
// per test, a second pool as the other instance, and the server stopped to make it refuse work.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAppError } from "../../src/errors.js";
import { systemClock } from "../../src/invites/domain/clock.js";
import { InviteLimits, type InviteLimitSettings } from "../../src/invites/service/limits.js";
import { InviteService } from "../../src/invites/service/invite-service.js";
import { openPostgresStores } from "../../src/adapters/store/postgres/index.js";
import { SCHEMA_VERSION } from "../../src/adapters/store/postgres/engine.js";
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
    const stores = openPostgresStores(url);
    await stores.ready();
    urls.set(stores, url);
    return stores;
  },
  async openPeer(stores) {
    const peer = openPostgresStores(urls.get(stores) ?? "");
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
    const instances = [openPostgresStores(url), openPostgresStores(url), openPostgresStores(url)];
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
    const stores = openPostgresStores(url, { heartbeat: false });
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

describe("invite limits on two instances sharing one database", () => {
  const OFF: InviteLimitSettings = { activePerUser: 0, perUserPerDay: 0, chainDepth: 0, chainWindowMs: 300_000, treeSize: 0 };
  const cases = [
    ["active_per_user 5", { ...OFF, activePerUser: 5 }, "You have 5 invites that can still be used, the most allowed; wait until one is used or expires, or ask an admin to revoke one"],
    ["per_user_per_day 5", { ...OFF, perUserPerDay: 5 }, "You have created 5 invites in the last 24 hours, the most allowed; please try again later"],
  ] as const;
  for (const [name, settings, text] of cases) {
    it(`${name}: 200 contact invites of one user at once, half through each instance (its own pool), end with exactly 5`, async () => {
      const url = await freshDatabase();
      const instances = [openPostgresStores(url), openPostgresStores(url)];
      try {
        await Promise.all(instances.map((stores) => stores.ready()));
        const services = instances.map((stores) => new InviteService({ store: stores.invites, claims: stores.claims, clock: systemClock, domain: "example.test", defaultExpiry: 3600 }));
        const limits = new InviteLimits({ limits: settings });
        const outcomes = await Promise.allSettled(Array.from({ length: 200 }, (_, i) =>
          services[i % 2]!.create({ type: "contact", inviter: "mallory@example.test", source: "mallory@example.test/phone" }, limits)));
        expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(5);
        const refusals = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason as unknown] : []));
        expect(refusals).toHaveLength(195);
        for (const err of refusals) expect(isAppError(err) && { code: err.code, message: err.message }).toEqual({ code: "invite-limit", message: text });
        expect(await services[1]!.list({ all: true })).toHaveLength(5);
        // One user's burst waited in each instance, not on its pooled connections (each pool: 10).
        for (const stores of instances) expect(stores.pool.totalCount).toBeLessThanOrEqual(2);
      } finally {
        await Promise.all(instances.map((stores) => stores.close()));
      }
    });
  }
});
