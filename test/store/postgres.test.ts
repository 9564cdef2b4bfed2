// The store contract on a real PostgreSQL (a throwaway cluster, tools/demo/postgres.ts): a database
// per test, a second pool as the other instance, and the server stopped to make it refuse work.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAppError } from "../../src/errors.js";
import { systemClock } from "../../src/invites/domain/clock.js";
import { InviteLimits, type InviteLimitSettings } from "../../src/invites/service/limits.js";
import { InviteService } from "../../src/invites/service/invite-service.js";
import { openPostgresStores } from "../../src/adapters/store/postgres/index.js";
import { SCHEMA_VERSION } from "../../src/adapters/store/postgres/engine.js";
import { type PostgresServer, startPostgres } from "../../tools/demo/postgres.js";
import { storeContract } from "./contract.js";
import { OLD_POSTGRES_MIGRATIONS } from "./fixtures/old-migrations.js";

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

describe("PostgreSQL databases made by the earlier schema", () => {
  /** A database as the earlier code left it at `version` (its migrations: fixtures/old-migrations.ts). */
  async function oldDatabase(version: number): Promise<string> {
    const url = await freshDatabase();
    await sql(url, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
      ${OLD_POSTGRES_MIGRATIONS.slice(0, version).map((step, i) => `${step}; INSERT INTO schema_migrations (version) VALUES (${i + 1});`).join("\n")}`);
    return url;
  }

  async function sql(url: string, text: string): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  }

  /** Columns, indexes, triggers and functions, whatever the order the columns were added in. */
  async function catalogOf(url: string): Promise<string[]> {
    const stores = openPostgresStores(url, { heartbeat: false });
    try {
      await stores.ready();
      const rows = async (sql: string) => (await stores.pool.query<{ row: string }>(sql)).rows.map((r) => r.row);
      return [
        ...await rows(`SELECT concat_ws(' ', table_name, column_name, data_type, is_nullable, column_default, is_identity) AS row FROM information_schema.columns
                       WHERE table_schema = 'public' ORDER BY 1`),
        ...await rows("SELECT indexdef AS row FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"),
        ...await rows("SELECT pg_get_constraintdef(oid) || ' ' || conname AS row FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1"),
        ...await rows("SELECT pg_get_triggerdef(oid) AS row FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1"),
        ...await rows("SELECT proname || regexp_replace(prosrc, '\\s+', ' ', 'g') AS row FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1"),
        ...await rows("SELECT string_agg(version::text, ',' ORDER BY version) AS row FROM schema_migrations"),
      ];
    } finally {
      await stores.close();
    }
  }

  it("a database left at any earlier version ends with the schema a new one gets, nothing re-run", async () => {
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(OLD_POSTGRES_MIGRATIONS.length);
    const fresh = await catalogOf(await freshDatabase());
    expect(fresh.length).toBeGreaterThan(80);
    for (let version = 1; version <= OLD_POSTGRES_MIGRATIONS.length; version++) expect(await catalogOf(await oldDatabase(version)), `from version ${version}`).toEqual(fresh);
  });

  it("opens a database of the earlier schema, reads its rows and records new uses, with the who-invited-whom trigger", async () => {
    const url = await oldDatabase(OLD_POSTGRES_MIGRATIONS.length);
    await sql(url, `INSERT INTO invites (id, token_hash, type, inviter, source, note, created_at, expires_at, max_uses, allow_registration, groups)
      VALUES ('i1', '\\x01', 'account', NULL, 'Admin@Example.test/desk', 'for bob', 1, 9e15, 2, TRUE, '["team"]')`);
    const stores = openPostgresStores(url, { heartbeat: false });
    try {
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
