// The store contract: what every implementation of the ports in src/invites/ports/store.ts must do,
// run on SQLite (sqlite.test.ts) and on a real PostgreSQL (postgres.test.ts).
import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { StorageUnavailable, type InviteQuota, type NewInvite, type Stores } from "../../src/invites/ports/store.js";

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
/** No limit on: each test turns on the ones it needs. */
const OPEN: InviteQuota = { maxActive: 0, maxCreated: 0, createdSince: 0, maxChain: 0, chainSince: 0, maxTree: 0 };
const byUser = (inviter: string) => ({ ...draft({ type: "contact", allowRegistration: false }), inviter });
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

    it("a claim may carry an id chosen by its caller; a redemption keeps its consent time", () => using(target, async (stores) => {
      const row = draft();
      await stores.invites.insert(row);
      expect(await stores.claims.claim(row.id, "a", NOW, { door: "bridge", id: "bridge-chosen-0001" })).toBe("bridge-chosen-0001");
      expect(await stores.claims.findClaim("bridge-chosen-0001")).toMatchObject({ inviteId: row.id, username: "a", door: "bridge" });
      await stores.claims.consume("bridge-chosen-0001", row.id, { ...created, jid: "a@example.test", consentAt: NOW - 5 }, none, NOW);
      await stores.claims.recordRedemption({ ...created, jid: "open@example.test", requester: "c@anon", consentAt: NOW }, NOW);
      expect(await stores.claims.lastRedemptionBy("c@anon")).toMatchObject({ inviteId: null, jid: "open@example.test" });
    }));

    it("invitations: written in the transaction that records an account's use, naming the inviter, else the admin's bare JID, else the source", () => using(target, async (stores) => {
      const byUser = draft({ inviter: "romeo@example.test", note: "for juliet" });
      const byAdmin = draft({ source: "Admin@Example.test/desk" });
      const byCli = draft({ source: "cli" });
      const reset = draft({ type: "reset", username: "juliet", inviter: "romeo@example.test" });
      for (const row of [byUser, byAdmin, byCli, reset]) await stores.invites.insert(row);
      const use = async (row: NewInvite, name: string, action: "created" | "password-reset" = "created") => {
        const id = (await stores.claims.claim(row.id, name, NOW))!;
        await stores.claims.consume(id, row.id, { ...created, jid: `${name}@example.test`, action }, none, NOW + serial);
      };
      await use(byUser, "juliet");
      await use(byAdmin, "nurse");
      await use(byCli, "tybalt");
      await use(reset, "juliet", "password-reset");
      await stores.claims.recordRedemption({ ...created, jid: "open@example.test" }, NOW);
      const all = await stores.invitations.all();
      expect(all.map((i) => [i.inviter, i.invitee, i.kind, i.inviteId])).toEqual([
        ["romeo@example.test", "juliet@example.test", "account", byUser.id],
        ["admin@example.test", "nurse@example.test", "account", byAdmin.id],
        ["cli", "tybalt@example.test", "account", byCli.id],
      ]);
      expect(await stores.invitations.invitedAs("juliet@example.test")).toMatchObject({ inviter: "romeo@example.test", note: "for juliet" });
      expect(await stores.invitations.byInviter("cli")).toHaveLength(1);
      // Kept after the invite itself is purged.
      await stores.invites.purgeExpired(NOW + 48 * HOUR);
      expect(await stores.invites.findById(byUser.id)).toBeUndefined();
      expect(await stores.invitations.all()).toHaveLength(3);
    }));

    it("invitations: a contact acceptance counts the use, is recorded and queues the steps in one go; tree size, root and the inviter's counts", () => using(target, async (stores) => {
      const contact = draft({ type: "contact", inviter: "romeo@example.test", maxUses: 2 });
      const down = draft({ inviter: "juliet@example.test" });
      await stores.invites.insert(contact);
      await stores.invites.insert(down);
      const claim = (await stores.claims.claim(contact.id, "bob@other.test", NOW))!;
      await stores.invitations.recordAcceptance(claim, { inviter: "romeo@example.test", invitee: "bob@other.test", kind: "contact", inviteId: contact.id, note: null, at: NOW },
        { subscriptions: [{ a: "romeo@example.test", b: "bob@other.test", groups: [] }], groups: [] });
      expect(await stores.invites.findById(contact.id)).toMatchObject({ uses: 1, pending: 0 });
      expect(await stores.claims.pending()).toEqual([]);
      expect((await stores.rosterQueue.tasksFor("bob@other.test")).map((t) => `${t.owner}>${t.contact}`).sort()).toEqual(["bob@other.test>romeo@example.test", "romeo@example.test>bob@other.test"]);
      // romeo → juliet (account) → nurse (account); bob accepted a contact invite: not in the tree's size.
      const first = draft({ inviter: "romeo@example.test" });
      await stores.invites.insert(first);
      const c1 = (await stores.claims.claim(first.id, "juliet", NOW))!;
      await stores.claims.consume(c1, first.id, { ...created, jid: "juliet@example.test" }, none, NOW + 1);
      const c2 = (await stores.claims.claim(down.id, "nurse", NOW))!;
      await stores.claims.consume(c2, down.id, { ...created, jid: "nurse@example.test" }, none, NOW + 2);
      expect(await stores.invitations.rootOf("nurse@example.test")).toBe("romeo@example.test");
      expect(await stores.invitations.treeSize("romeo@example.test")).toBe(2);
      expect(await stores.invitations.treeSize("nurse@example.test")).toBe(0);
      // romeo: the contact invite has a use left; `first` is used up.
      expect(await stores.invitations.activeInvites("romeo@example.test", NOW)).toBe(1);
      expect(await stores.invitations.invitesCreatedSince("romeo@example.test", NOW)).toBe(2);
      expect(await stores.invitations.invitesCreatedSince("romeo@example.test", NOW + 24 * HOUR)).toBe(0);
    }));

    it("account requests: submitted within the limits, read back by id and status hash, listed, decided once, purged", () => using(target, async (stores) => {
      const requests = stores.accountRequests;
      const ask = (id: string, username: string, at = NOW) => ({ id, username, message: username === "heidi" ? "hello" : null, createdAt: at, expiresAt: at + HOUR, statusHash: randomBytes(32), sealingKey: randomBytes(32) });
      const limits = { now: NOW, maxPending: 2, purgeBefore: 0 };
      const heidi = ask("r1", "heidi");
      expect(await requests.submit(heidi, limits)).toBe("inserted");
      expect(await requests.submit(ask("r1", "ivan"), limits)).toBe("id-taken");
      expect(await requests.submit(ask("r2", "heidi"), limits)).toBe("exists");
      expect(await requests.submit(ask("r3", "ivan", NOW + 1), limits)).toBe("inserted");
      expect(await requests.submit(ask("r4", "judy"), limits)).toBe("full");
      expect(await requests.countPending(NOW)).toBe(2);
      expect(await requests.byStatusHash(heidi.statusHash)).toMatchObject({ id: "r1", username: "heidi", message: "hello", status: "pending", sealingKey: heidi.sealingKey, sealedToken: null });
      expect((await requests.list({ pendingAt: NOW, limit: 10 })).map((r) => r.id)).toEqual(["r1", "r3"]);
      const sealed = randomBytes(40);
      expect(await requests.decide("r1", { status: "approved", at: NOW + 5, by: "admin@example.test", inviteId: "inv1", sealedToken: sealed }, NOW + 5)).toBe(true);
      expect(await requests.decide("r1", { status: "denied", at: NOW + 6, by: "other@example.test", inviteId: null, sealedToken: null }, NOW + 6)).toBe(false);
      expect(await requests.byId("r1")).toMatchObject({ status: "approved", decidedAt: NOW + 5, decidedBy: "admin@example.test", inviteId: "inv1", sealedToken: sealed });
      // Past its expiry a request can no longer be decided.
      expect(await requests.decide("r3", { status: "denied", at: NOW + HOUR + 2, by: "a", inviteId: null, sealedToken: null }, NOW + HOUR + 2)).toBe(false);
      expect((await requests.list({ limit: 10 })).map((r) => r.id)).toEqual(["r3", "r1"]);
      expect(await requests.purge(NOW + 6)).toBe(1);
      expect(await requests.byId("r1")).toBeUndefined();
      expect(await requests.byId("r3")).toBeDefined();
    }));

    it("account requests: submissions from two connections at once never pass the pending limit", () => using(target, async (stores) => {
      const peer = await target.openPeer(stores);
      try {
        const limits = { now: NOW, maxPending: 3, purgeBefore: 0 };
        const attempts = Array.from({ length: 12 }, (_, i) => (i % 2 ? peer : stores).accountRequests.submit(
          { id: `q${i}`, username: `user${i}`, message: null, createdAt: NOW, expiresAt: NOW + HOUR, statusHash: randomBytes(32), sealingKey: randomBytes(32) }, limits));
        const outcomes = await Promise.all(attempts);
        expect(outcomes.filter((o) => o === "inserted")).toHaveLength(3);
        expect(outcomes.filter((o) => o === "full")).toHaveLength(9);
        expect(await stores.accountRequests.countPending(NOW)).toBe(3);
      } finally {
        await peer.close();
      }
    }));

    it("insertLimited: each limit counted where the invite is inserted, in order; a breach inserts nothing; a taken id is refused", () => using(target, async (stores) => {
      // romeo → juliet (account, NOW + 1) → nurse (account, NOW + 2).
      for (const [inviter, name, at] of [["romeo@example.test", "juliet", NOW + 1], ["juliet@example.test", "nurse", NOW + 2]] as const) {
        const row = draft({ inviter });
        await stores.invites.insert(row);
        const claim = (await stores.claims.claim(row.id, name, NOW))!;
        await stores.claims.consume(claim, row.id, { ...created, jid: `${name}@example.test` }, none, at);
      }
      const nurse = "nurse@example.test";
      expect(await stores.invites.insertLimited(byUser(nurse), { ...OPEN, maxChain: 2, chainSince: NOW })).toEqual({ limit: "chain", count: 2 });
      expect(await stores.invites.insertLimited(byUser(nurse), { ...OPEN, maxChain: 3, chainSince: NOW })).toBe("inserted");
      expect(await stores.invites.insertLimited(byUser(nurse), { ...OPEN, maxChain: 2, chainSince: NOW + 1 })).toBe("inserted");
      expect(await stores.invites.insertLimited(byUser(nurse), { ...OPEN, maxTree: 2 })).toEqual({ limit: "tree", count: 2 });
      expect(await stores.invites.insertLimited(byUser(nurse), { ...OPEN, maxTree: 3 })).toBe("inserted");
      // nurse has 3 invites now, all active, all made after NOW: the first limit in order is the one told.
      const all = { maxActive: 3, maxCreated: 3, createdSince: NOW, maxChain: 2, chainSince: NOW, maxTree: 2 };
      expect(await stores.invites.insertLimited(byUser(nurse), all)).toEqual({ limit: "active", count: 3 });
      expect(await stores.invites.insertLimited(byUser(nurse), { ...all, maxActive: 4 })).toEqual({ limit: "created", count: 3 });
      expect(await stores.invites.insertLimited(byUser(nurse), { ...all, maxActive: 4, maxCreated: 4 })).toEqual({ limit: "chain", count: 2 });
      const taken = byUser(nurse);
      expect(await stores.invites.insertLimited(taken, { ...OPEN, maxActive: 4 })).toBe("inserted");
      expect(await stores.invites.insertLimited({ ...byUser(nurse), id: taken.id }, { ...OPEN, maxActive: 5 })).toBe("id-taken");
      expect(await stores.invitations.activeInvites(nurse, NOW)).toBe(4);
      // A revoked invite no longer counts as active, but still as created.
      await stores.invites.revoke(taken.id, NOW);
      expect(await stores.invites.insertLimited(byUser(nurse), { ...OPEN, maxActive: 4, maxCreated: 4, createdSince: NOW })).toEqual({ limit: "created", count: 4 });
      expect(await stores.invites.insertLimited(byUser(nurse), { ...OPEN, maxActive: 4, maxCreated: 4, createdSince: NOW + 10 * HOUR })).toBe("inserted");
      // Other users' invites are not counted.
      expect(await stores.invites.insertLimited(byUser("romeo@example.test"), { ...OPEN, maxActive: 1 })).toBe("inserted");
    }));

    for (const [limit, quota] of [["active", { ...OPEN, maxActive: 5 }], ["created", { ...OPEN, maxCreated: 5, createdSince: NOW - 24 * HOUR }]] as const) {
      it(`insertLimited (${limit}): 200 at once from eight connections (processes) of one user end with exactly 5 invites`, () => using(target, async (stores) => {
        const peers = await Promise.all(Array.from({ length: 7 }, () => target.openPeer(stores)));
        const all = [stores, ...peers];
        try {
          const user = "mallory@example.test";
          const outcomes = await Promise.all(Array.from({ length: 200 }, (_, i) => all[i % all.length]!.invites.insertLimited(byUser(user), quota)));
          expect(outcomes.filter((o) => o === "inserted")).toHaveLength(5);
          expect(outcomes.filter((o) => typeof o === "object" && o.limit === limit && o.count === 5)).toHaveLength(195);
          expect((await stores.invites.list(NOW, { all: true })).filter((invite) => invite.inviter === user)).toHaveLength(5);
        } finally {
          await Promise.all(peers.map((peer) => peer.close()));
        }
      }));
    }

    it("rate limits: one counter per key in a fixed window, a new window once it ends, swept after; 100 hits at once from two connections count 100", () => using(target, async (stores) => {
      const limits = stores.rateLimits;
      expect(await limits.hit("web:192.0.2.1", NOW, 60_000)).toEqual({ hits: 1, resetAt: NOW + 60_000 });
      expect(await limits.hit("web:192.0.2.1", NOW + 1, 60_000)).toEqual({ hits: 2, resetAt: NOW + 60_000 });
      expect(await limits.hit("web:192.0.2.2", NOW + 1, 60_000)).toEqual({ hits: 1, resetAt: NOW + 60_001 });
      expect(await limits.hit("web:192.0.2.1", NOW + 60_000, 60_000)).toEqual({ hits: 1, resetAt: NOW + 120_000 });
      expect(await limits.hit("web:192.0.2.1", NOW + 60_001, 60_000)).toEqual({ hits: 2, resetAt: NOW + 120_000 });
      expect(await limits.sweep(NOW + 60_001)).toBe(1);
      const peer = await target.openPeer(stores);
      try {
        const counts = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? peer : stores).rateLimits.hit("api:198.51.100.7", NOW, 60_000)));
        expect(counts.map((count) => count.hits).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      } finally {
        await peer.close();
      }
    }));

    it("outbox: queued messages are due in order, taken once (a second taker gets false, from another connection too), put back, purged", () => using(target, async (stores) => {
      const { outbox } = stores;
      await outbox.enqueue("romeo@example.test", "first", NOW);
      await outbox.enqueue("juliet@example.test", "second", NOW + 1);
      expect(await outbox.nextAt()).toBe(NOW);
      const due = await outbox.due(NOW + 1, 10);
      expect(due.map((m) => [m.to, m.body, m.attempts])).toEqual([["romeo@example.test", "first", 0], ["juliet@example.test", "second", 0]]);
      const [first, second] = due;
      const peer = await target.openPeer(stores);
      try {
        const takers = await Promise.all([outbox.take(first?.id ?? 0, NOW + 2), peer.outbox.take(first?.id ?? 0, NOW + 2)]);
        expect(takers.filter(Boolean)).toHaveLength(1);
      } finally {
        await peer.close();
      }
      expect((await outbox.due(NOW + 2, 10)).map((m) => m.body)).toEqual(["second"]);
      expect(await outbox.take(second?.id ?? 0, NOW + 3)).toBe(true);
      await outbox.putBack(second?.id ?? 0, NOW + 10_000);
      expect(await outbox.due(NOW + 3, 10)).toEqual([]);
      expect((await outbox.due(NOW + 10_000, 10)).map((m) => [m.body, m.attempts])).toEqual([["second", 1]]);
      expect(await outbox.purge(NOW + 3, NOW)).toBe(0);
      expect(await outbox.purge(NOW + 3, NOW + 2)).toBe(1);
      expect(await outbox.nextAt()).toBeUndefined();
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

    it("portal sessions: found by the id's hash until they expire, seen by a second instance, deleted and purged", () => using(target, async (stores) => {
      const peer = await target.openPeer(stores);
      try {
        const a = randomBytes(32);
        const b = randomBytes(32);
        await stores.portalSessions.create(a, { jid: "romeo@example.test", createdAt: NOW, expiresAt: NOW + HOUR });
        await stores.portalSessions.create(b, { jid: "juliet@example.test", createdAt: NOW, expiresAt: NOW + 2 * HOUR });
        expect(await peer.portalSessions.find(a, NOW + 1)).toEqual({ jid: "romeo@example.test", createdAt: NOW, expiresAt: NOW + HOUR });
        expect(await stores.portalSessions.find(a, NOW + HOUR)).toBeUndefined();
        expect(await stores.portalSessions.find(randomBytes(32), NOW)).toBeUndefined();
        await peer.portalSessions.delete(b);
        expect(await stores.portalSessions.find(b, NOW)).toBeUndefined();
        await stores.portalSessions.create(b, { jid: "juliet@example.test", createdAt: NOW, expiresAt: NOW + 2 * HOUR });
        await stores.portalSessions.purge(NOW + HOUR, 0);
        expect(await stores.portalSessions.find(b, NOW + HOUR)).toMatchObject({ jid: "juliet@example.test" });
      } finally {
        if (peer !== stores) await peer.close();
      }
    }));

    it("portal failures: counted per subject within the window across instances, the nth newest's time, purged by age", () => using(target, async (stores) => {
      const peer = await target.openPeer(stores);
      try {
        for (let i = 0; i < 4; i++) await (i % 2 ? peer : stores).portalSessions.noteFailure(["user:romeo", "ip:192.0.2.1"], NOW + i * 1000);
        await stores.portalSessions.noteFailure(["user:juliet"], NOW + 10_000);
        expect(await peer.portalSessions.failures("user:romeo", NOW - 1, 3)).toEqual({ count: 4, nthNewestAt: NOW + 1000 });
        expect(await stores.portalSessions.failures("ip:192.0.2.1", NOW + 1500, 3)).toEqual({ count: 2, nthNewestAt: undefined });
        expect(await stores.portalSessions.failures("user:juliet", NOW, 1)).toEqual({ count: 1, nthNewestAt: NOW + 10_000 });
        await stores.portalSessions.purge(NOW, NOW + 1000);
        expect((await stores.portalSessions.failures("user:romeo", 0, 1)).count).toBe(2);
      } finally {
        if (peer !== stores) await peer.close();
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
