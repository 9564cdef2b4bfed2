// The store contract: what every implementation of the ports in src/invites/store-ports.ts must do,
// run on SQLite (sqlite.test.ts) and on a real PostgreSQL (postgres.test.ts).
import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { StorageUnavailable, type NewInvite, type Stores } from "../../src/invites/store-ports.js";

export interface ContractTarget {
  /** Fresh, empty, migrated stores (a new database each time). */
  open(): Promise<Stores>;
  /** A second process's view of the same database as `stores`. */
  openPeer(stores: Stores): Promise<Stores>;
  /** Makes the database refuse work until the returned function is called. */
  fail(stores: Stores): Promise<() => Promise<void>>;
  /** Whether `exclusively` excludes other instances (false: one process per database, it always runs). */
  readonly sharedJobs: boolean;
}

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;
let serial = 0;

function draft(overrides: Partial<NewInvite> = {}): NewInvite {
  serial += 1;
  return {
    id: `i${String(serial).padStart(7, "0")}`,
    tokenHash: randomBytes(32),
    type: "account",
    username: null,
    inviter: null,
    allowRegistration: true,
    groups: [],
    source: "test",
    note: null,
    createdAt: NOW + serial,
    expiresAt: NOW + 24 * HOUR,
    maxUses: 1,
    ...overrides,
  };
}

async function using<T>(target: ContractTarget, work: (stores: Stores) => Promise<T>): Promise<T> {
  const stores = await target.open();
  try {
    return await work(stores);
  } finally {
    await stores.close();
  }
}

const created = { jid: "", door: "web" as const, requester: null, action: "created" as const };
const none = { subscriptions: [], groups: [] };

export function storeContract(name: string, target: ContractTarget): void {
  describe(`store contract: ${name}`, () => {
    it("an invite reads back as written, by token hash and by id; a taken id is refused, not overwritten", () => using(target, async (stores) => {
      const row = draft({ type: "contact", inviter: "romeo@example.test", allowRegistration: false, groups: ["Friends", "Family"], note: "n", maxUses: 3 });
      expect(await stores.invites.insert(row)).toBe(true);
      const { tokenHash: _hash, ...fields } = row;
      const expected = { ...fields, uses: 0, pending: 0, revokedAt: null };
      expect(await stores.invites.findByTokenHash(row.tokenHash)).toEqual(expected);
      expect(await stores.invites.findById(row.id)).toEqual(expected);
      expect(await stores.invites.insert({ ...draft(), id: row.id })).toBe(false);
      expect(await stores.invites.findById(row.id)).toEqual(expected);
      expect(await stores.invites.findById("missing")).toBeUndefined();
    }));

    it("insertMany is all or nothing", () => using(target, async (stores) => {
      const taken = draft();
      await stores.invites.insert(taken);
      const batch = [draft(), draft(), { ...draft(), id: taken.id }];
      expect(await stores.invites.insertMany(batch)).toBe(false);
      expect(await stores.invites.findById(batch[0]!.id)).toBeUndefined();
      expect(await stores.invites.insertMany([draft(), draft()])).toBe(true);
      expect(await stores.invites.list(NOW, { all: true })).toHaveLength(3);
    }));

    it("list: active only by default, newest first, limit and keyset pagination; revoke once; purge only expired without claims", () => using(target, async (stores) => {
      const active = [draft(), draft(), draft()];
      const expired = draft({ expiresAt: NOW - 1 });
      const revoked = draft();
      const heldExpired = draft({ expiresAt: NOW + 10 });
      for (const row of [...active, expired, revoked, heldExpired]) await stores.invites.insert(row);
      expect(await stores.invites.revoke(revoked.id, NOW)).toBe(true);
      expect(await stores.invites.revoke(revoked.id, NOW + 1)).toBe(false);
      expect((await stores.invites.findById(revoked.id))?.revokedAt).toBe(NOW);
      expect((await stores.invites.list(NOW)).map((i) => i.id)).toEqual([heldExpired.id, active[2]!.id, active[1]!.id, active[0]!.id]);
      expect((await stores.invites.list(NOW, { all: true })).map((i) => i.id)).toHaveLength(6);
      const page = await stores.invites.list(NOW, { limit: 2 });
      expect(page.map((i) => i.id)).toEqual([heldExpired.id, active[2]!.id]);
      const next = await stores.invites.list(NOW, { limit: 2, before: { createdAt: page[1]!.createdAt, id: page[1]!.id } });
      expect(next.map((i) => i.id)).toEqual([active[1]!.id, active[0]!.id]);

      expect(await stores.claims.claim(heldExpired.id, "u", NOW)).toBeDefined();
      expect(await stores.invites.purgeExpired(NOW + 20)).toBe(1);
      expect(await stores.invites.findById(expired.id)).toBeUndefined();
      expect(await stores.invites.findById(heldExpired.id)).toBeDefined();
    }));

    it("a claim is refused for an expired, revoked or used-up invite", () => using(target, async (stores) => {
      const expired = draft({ expiresAt: NOW });
      const revoked = draft();
      const once = draft();
      for (const row of [expired, revoked, once]) await stores.invites.insert(row);
      await stores.invites.revoke(revoked.id, NOW);
      expect(await stores.claims.claim(expired.id, "a", NOW)).toBeUndefined();
      expect(await stores.claims.claim(revoked.id, "a", NOW)).toBeUndefined();
      expect(await stores.claims.claim(once.id, "a", NOW)).toBeDefined();
      expect(await stores.claims.claim(once.id, "b", NOW)).toBeUndefined();
      expect(await stores.claims.claim("missing", "a", NOW)).toBeUndefined();
    }));

    it("concurrent claims of a 5-use invite from two connections get exactly 5", () => using(target, async (stores) => {
      const peer = await target.openPeer(stores);
      try {
        const row = draft({ maxUses: 5 });
        await stores.invites.insert(row);
        const attempts = Array.from({ length: 24 }, (_, i) => (i % 2 ? peer : stores).claims.claim(row.id, `u${i}`, NOW));
        const ids = (await Promise.all(attempts)).filter((id) => id !== undefined);
        expect(new Set(ids).size).toBe(5);
        expect(await stores.invites.findById(row.id)).toMatchObject({ uses: 0, pending: 5 });
        expect((await stores.claims.pending()).map((claim) => claim.id).sort()).toEqual([...ids].sort());
      } finally {
        await peer.close();
      }
    }));

    it("a claim keeps what settlement needs; noteCheck counts; its holder is alive", () => using(target, async (stores) => {
      const row = draft();
      await stores.invites.insert(row);
      const id = await stores.claims.claim(row.id, "alice", NOW, { door: "api", requester: "x@anon.example.test" });
      expect(id).toBeDefined();
      expect(await stores.claims.findClaim(id!)).toEqual({ id, inviteId: row.id, username: "alice", door: "api", claimedAt: NOW });
      await stores.claims.noteCheck(id!, "no answer");
      expect(await stores.claims.pending()).toEqual([{ id, inviteId: row.id, username: "alice", door: "api", requester: "x@anon.example.test", claimedAt: NOW, checks: 1, holder: stores.claims.holder }]);
      expect([...(await stores.claims.liveHolders([stores.claims.holder, "gone"]))]).toEqual([stores.claims.holder]);
    }));

    it("consume counts the use, records the redemption and queues both sides of each subscription and group pair", () => using(target, async (stores) => {
      const group = draft({ maxUses: 3, groups: ["Crew"], inviter: "cap@example.test" });
      await stores.invites.insert(group);
      for (const name of ["ann", "bob"]) {
        const id = (await stores.claims.claim(group.id, name, NOW))!;
        const jid = `${name}@example.test`;
        await stores.claims.consume(id, group.id, { ...created, jid, requester: `${name}@anon` }, { subscriptions: [{ a: "cap@example.test", b: jid, groups: ["Crew"] }], groups: ["Crew"] }, NOW + 1);
      }
      expect(await stores.invites.findById(group.id)).toMatchObject({ uses: 2, pending: 0 });
      expect(await stores.rosterQueue.groupMembers("Crew")).toEqual(["ann@example.test", "bob@example.test"]);
      const pairs = (await stores.rosterQueue.tasksFor("bob@example.test")).map((t) => `${t.owner}>${t.contact}:${t.groups.join(",")}`).sort();
      expect(pairs).toEqual(["ann@example.test>bob@example.test:Crew", "bob@example.test>ann@example.test:Crew", "bob@example.test>cap@example.test:Crew", "cap@example.test>bob@example.test:Crew"]);
      expect(await stores.claims.lastRedemptionBy("bob@anon")).toEqual({ inviteId: group.id, jid: "bob@example.test", door: "web", requester: "bob@anon", at: NOW + 1 });
      expect(await stores.claims.redeemedSince("bob@example.test", NOW + 1)).toBe(true);
      expect(await stores.claims.redeemedSince("bob@example.test", NOW + 2)).toBe(false);
    }));

    it("release gives the use back once; a consume after a release still counts the account", () => using(target, async (stores) => {
      const row = draft();
      await stores.invites.insert(row);
      const id = (await stores.claims.claim(row.id, "a", NOW))!;
      await stores.claims.release(id);
      await stores.claims.release(id);
      expect(await stores.invites.findById(row.id)).toMatchObject({ uses: 0, pending: 0 });
      await stores.claims.consume(id, row.id, { ...created, jid: "a@example.test" }, none, NOW);
      expect(await stores.invites.findById(row.id)).toMatchObject({ uses: 1, pending: 0 });
      await stores.claims.recordRedemption({ ...created, jid: "open@example.test", requester: "o@anon" }, NOW);
      expect(await stores.claims.lastRedemptionBy("o@anon")).toMatchObject({ inviteId: null, jid: "open@example.test" });
    }));

    it("roster steps: due in order, done, failed with a later retry, nextAt", () => using(target, async (stores) => {
      const row = draft({ inviter: "a@example.test" });
      await stores.invites.insert(row);
      const id = (await stores.claims.claim(row.id, "b", NOW))!;
      await stores.claims.consume(id, row.id, { ...created, jid: "b@example.test" }, { subscriptions: [{ a: "a@example.test", b: "b@example.test", groups: [] }], groups: [] }, NOW);
      const due = await stores.rosterQueue.due(NOW, 10);
      expect(due).toHaveLength(2);
      expect(await stores.rosterQueue.nextAt()).toBe(NOW);
      await stores.rosterQueue.done(due[0]!.id, NOW + 1);
      await stores.rosterQueue.failed(due[1]!.id, NOW + 5000, "unavailable: x");
      expect(await stores.rosterQueue.due(NOW + 1, 10)).toEqual([]);
      expect(await stores.rosterQueue.nextAt()).toBe(NOW + 5000);
      const [retry] = await stores.rosterQueue.due(NOW + 5000, 10);
      expect(retry).toMatchObject({ id: due[1]!.id, attempts: 1, lastError: "unavailable: x", doneAt: null });
      expect((await stores.rosterQueue.tasksFor("a@example.test")).find((t) => t.id === due[0]!.id)).toMatchObject({ doneAt: NOW + 1, attempts: 1 });
      await stores.rosterQueue.done(retry!.id, NOW + 5001);
      expect(await stores.rosterQueue.nextAt()).toBeUndefined();
    }));

    it("API keys: insert, find with the hash, list, markUsed, revoke; a taken id is refused", () => using(target, async (stores) => {
      const hash = randomBytes(32);
      expect(await stores.apiKeys.insert({ id: "k1", name: "portal", secretHash: hash, readOnly: true, createdAt: NOW })).toBe(true);
      expect(await stores.apiKeys.insert({ id: "k1", name: "other", secretHash: hash, readOnly: false, createdAt: NOW })).toBe(false);
      const found = await stores.apiKeys.find("k1");
      expect(found?.secretHash.equals(hash)).toBe(true);
      expect(found?.key).toEqual({ id: "k1", name: "portal", readOnly: true, createdAt: NOW, lastUsedAt: null, revokedAt: null });
      await stores.apiKeys.markUsed("k1", NOW + 1);
      await stores.apiKeys.revoke("k1", NOW + 2);
      await stores.apiKeys.revoke("k1", NOW + 3);
      expect(await stores.apiKeys.list()).toEqual([{ id: "k1", name: "portal", readOnly: true, createdAt: NOW, lastUsedAt: NOW + 1, revokedAt: NOW + 2 }]);
      expect(await stores.apiKeys.find("k2")).toBeUndefined();
    }));

    it("stats count invites by kind and status, claims, roster steps and redemptions", () => using(target, async (stores) => {
      await stores.invites.insert(draft());
      await stores.invites.insert(draft({ groups: ["G"] }));
      await stores.invites.insert(draft({ type: "contact", inviter: "a@example.test", allowRegistration: true, expiresAt: NOW }));
      const used = draft({ inviter: "a@example.test" });
      await stores.invites.insert(used);
      const id = (await stores.claims.claim(used.id, "b", NOW))!;
      await stores.claims.consume(id, used.id, { ...created, jid: "b@example.test" }, { subscriptions: [{ a: "a@example.test", b: "b@example.test", groups: [] }], groups: [] }, NOW);
      const open = draft();
      await stores.invites.insert(open);
      await stores.claims.claim(open.id, "c", NOW);
      const [task] = await stores.rosterQueue.due(NOW, 1);
      await stores.rosterQueue.failed(task!.id, NOW + 1000, "x");
      expect(await stores.stats.read(NOW)).toEqual({
        invites: [
          { kind: "account", status: "active", count: 2 },
          { kind: "account", status: "used", count: 1 },
          { kind: "contact+register", status: "expired", count: 1 },
          { kind: "group", status: "active", count: 1 },
        ],
        pendingClaims: 1,
        rosterStepsQueued: 2,
        rosterStepsFailing: 1,
        redemptions: [{ door: "web", action: "created", count: 1 }],
      });
    }));

    it(target.sharedJobs ? "exclusively: one instance at a time runs a job; another gets undefined meanwhile" : "exclusively: the only process runs every job", () => using(target, async (stores) => {
      const peer = await target.openPeer(stores);
      try {
        let release: () => void = () => undefined;
        const held = new Promise<void>((resolve) => { release = resolve; });
        const first = stores.exclusively("settlement", async () => {
          await held;
          return "first";
        });
        // Give the first its lock before the second asks.
        await new Promise((resolve) => setTimeout(resolve, 200));
        const second = await peer.exclusively("settlement", async () => "second");
        expect(second).toBe(target.sharedJobs ? undefined : "second");
        expect(await peer.exclusively("housekeeping", async () => "other job")).toBe("other job");
        release();
        expect(await first).toBe("first");
        expect(await peer.exclusively("settlement", async () => "after")).toBe("after");
      } finally {
        await peer.close();
      }
    }));

    it("a database that refuses work: StorageUnavailable, isWritable false; afterwards everything is there", () => using(target, async (stores) => {
      const row = draft({ maxUses: 2 });
      await stores.invites.insert(row);
      expect(await stores.isWritable(NOW)).toBe(true);
      const restore = await target.fail(stores);
      try {
        expect(await stores.isWritable(NOW)).toBe(false);
        await expect(stores.claims.claim(row.id, "a", NOW)).rejects.toBeInstanceOf(StorageUnavailable);
        await expect(stores.invites.insert(draft())).rejects.toBeInstanceOf(StorageUnavailable);
      } finally {
        await restore();
      }
      expect(await stores.isWritable(NOW)).toBe(true);
      expect(await stores.invites.findById(row.id)).toMatchObject({ uses: 0, pending: 0 });
      expect(await stores.claims.claim(row.id, "a", NOW)).toBeDefined();
    }));
  });
}
