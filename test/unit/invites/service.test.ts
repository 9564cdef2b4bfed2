import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InviteService } from "../../../src/invites/service/invite-service.js";
import { openDatabase, openSqliteStores } from "../../../src/adapters/store/sqlite/index.js";
import { FakeClock } from "../../helpers/clock.js";
import { makeCore } from "../../helpers/invites.js";

const DAY = 86400_000;

describe("InviteService", () => {
  it("creates a single-use account invite that expires after invite_expiry", async () => {
    const { invites, clock } = makeCore();
    const { invite, token, uri } = await invites.create();
    expect(invite).toMatchObject({ type: "account", maxUses: 1, uses: 0, pending: 0, username: null, revokedAt: null });
    expect(invite.expiresAt - clock.now()).toBe(7 * DAY);
    expect(uri).toBe(`xmpp:example.test?register;preauth=${token}`);
    expect(await invites.validate(token)).toEqual({ ok: true, invite });
  });

  it("normalises and fixes the username, and refuses a bad one", async () => {
    const { invites } = makeCore();
    const { invite, uri } = await invites.create({ username: "Juliet" });
    expect(invite.username).toBe("juliet");
    expect(uri).toMatch(/^xmpp:juliet@example\.test\?register;preauth=/);
    await expect(invites.create({ username: "jul iet" })).rejects.toThrow("The requested username is invalid.");
  });

  it("refuses impossible options with a clear error", async () => {
    const { invites } = makeCore();
    await expect(invites.create({ maxUses: 0 })).rejects.toThrow(/number of uses/);
    await expect(invites.create({ maxUses: 2.5 })).rejects.toThrow(/number of uses/);
    await expect(invites.create({ expiresIn: 0 })).rejects.toThrow(/expiry/);
    await expect(invites.create({ username: "zoe", maxUses: 2 })).rejects.toThrow(/only once/);
    await expect(invites.create({ note: "x".repeat(1001) })).rejects.toThrow(/note/);
  });

  it("refuses an expired token, and re-checks expiry when claiming", async () => {
    const { invites, clock } = makeCore();
    const { token } = await invites.create({ expiresIn: 60 });
    expect((await invites.validate(token)).ok).toBe(true);
    clock.advance(60_000);
    expect(await invites.validate(token)).toEqual({ ok: false, reason: "token-expired" });
    await expect(invites.claim(token, "alice")).rejects.toThrow("The invite token is invalid or expired");
  });

  it("refuses a revoked token", async () => {
    const { invites } = makeCore();
    const { invite, token } = await invites.create();
    expect((await invites.revoke(invite.id)).revokedAt).not.toBeNull();
    expect(await invites.validate(token)).toEqual({ ok: false, reason: "token-revoked" });
    await expect(invites.claim(token, "alice")).rejects.toThrow("The invite token is invalid or expired");
  });

  it("a claim of an invite checked earlier is re-checked by the claim itself: expired, revoked or used meanwhile is refused with its reason and reserves nothing", async () => {
    const { invites, clock } = makeCore();
    const reasonOf = async (claiming: Promise<unknown>) => ((await claiming.then(() => undefined, (err: unknown) => err)) as { code?: string; cause?: unknown } | undefined);
    const expiring = await invites.create({ expiresIn: 60 });
    const checkedBeforeExpiry = await invites.checkRedeemable(expiring.token, "alice");
    clock.advance(60_000);
    expect(await reasonOf(invites.claimChecked(checkedBeforeExpiry, expiring.token, "alice"))).toMatchObject({ code: "token-invalid", cause: "token-expired" });
    const revoked = await invites.create();
    const checkedBeforeRevoke = await invites.checkRedeemable(revoked.token, "alice");
    await invites.revoke(revoked.invite.id);
    expect(await reasonOf(invites.claimChecked(checkedBeforeRevoke, revoked.token, "alice"))).toMatchObject({ code: "token-invalid", cause: "token-revoked" });
    const single = await invites.create();
    const [first, second] = [await invites.checkRedeemable(single.token, "alice"), await invites.checkRedeemable(single.token, "bob")];
    await invites.claimChecked(first, single.token, "alice");
    expect(await reasonOf(invites.claimChecked(second, single.token, "bob"))).toMatchObject({ code: "token-invalid", cause: "token-used" });
    expect(await invites.get(single.invite.id)).toMatchObject({ uses: 0, pending: 1 });
    expect(await invites.get(expiring.invite.id)).toMatchObject({ pending: 0 });
    expect(await invites.get(revoked.invite.id)).toMatchObject({ pending: 0 });
  });

  it("refuses unknown and malformed tokens alike", async () => {
    const { invites } = makeCore();
    expect(await invites.validate("A".repeat(24))).toEqual({ ok: false, reason: "token-unknown" });
    expect(await invites.validate("not a token")).toEqual({ ok: false, reason: "token-unknown" });
  });

  it("counts a use only when consumed; a released claim leaves the invite usable", async () => {
    const { invites } = makeCore();
    const { invite, token } = await invites.create();
    const claim = await invites.claim(token, "alice");
    expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 1 });
    // While the claim is in flight nobody else can take the last use.
    await expect(invites.claim(token, "bob")).rejects.toThrow("The invite token is invalid or expired");
    await invites.release(claim);
    expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    const again = await invites.claim(token, "alice");
    await invites.consume(again, { jid: "alice@example.test", door: "xmpp", requester: "anon@anon.example.test" });
    expect(await invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
    expect(await invites.validate(token)).toEqual({ ok: false, reason: "token-used" });
    expect(await invites.registeredBy("anon@anon.example.test")).toBe("alice@example.test");
  });

  it("a fixed-username invite can only be claimed for that username", async () => {
    const { invites } = makeCore();
    const { token } = await invites.create({ username: "zoe" });
    await expect(invites.claim(token, "yann")).rejects.toThrow("The chosen username is not valid with this invitation");
    expect((await invites.claim(token, "zoe")).invite.username).toBe("zoe");
  });

  it("a k-use invite gives out exactly k claims, then refuses with token-used", async () => {
    const { invites } = makeCore();
    const { invite, token } = await invites.create({ maxUses: 3 });
    const claims = [];
    for (let i = 0; i < 3; i++) claims.push(await invites.claim(token, `user${i}`));
    expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 3 });
    for (let i = 3; i < 6; i++) await expect(invites.claim(token, `user${i}`)).rejects.toThrow(expect.objectContaining({ code: "token-invalid", cause: "token-used" }));
    expect(new Set(claims.map((claim) => claim.id)).size).toBe(3);
    for (const claim of claims) await invites.consume(claim, { jid: `${claim.id}@example.test`, door: "xmpp", requester: null });
    expect(await invites.get(invite.id)).toMatchObject({ uses: 3, pending: 0 });
  });

  it("settlement leaves alone the claims this process still holds, until they outlive the hold limit", async () => {
    const { invites, clock } = makeCore();
    const { token } = await invites.create({ maxUses: 2 });
    const held = await invites.claim(token, "busy", { door: "web" });
    const left = await invites.claim(token, "timedout", { door: "xmpp", requester: "anon@anon.example.test" });
    await invites.leave(left);
    expect((await invites.unsettledClaims()).map((claim) => claim.username)).toEqual(["timedout"]);
    expect((await invites.unsettledClaims())[0]).toMatchObject({ door: "xmpp", requester: "anon@anon.example.test", checks: 0 });
    clock.advance(6 * 60_000);
    expect((await invites.unsettledClaims()).map((claim) => claim.id).sort()).toEqual([held.id, left.id].sort());
  });

  it("a consume after settlement gave the use back still counts the use (the account exists)", async () => {
    const { invites } = makeCore();
    const { invite, token } = await invites.create();
    const claim = await invites.claim(token, "slow");
    await invites.leave(claim);
    const [open] = await invites.unsettledClaims();
    expect(await invites.settle(open!, false)).toEqual({ action: "released", why: "missing" });
    await invites.consume(claim, { jid: "slow@example.test", door: "xmpp", requester: null });
    expect(await invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
  });

  it("lists pending invites newest first, or all of them", async () => {
    const { invites, clock } = makeCore();
    const a = await invites.create({ note: "a" });
    clock.advance(1000);
    const b = await invites.create({ note: "b" });
    clock.advance(1000);
    const c = await invites.create({ note: "c", expiresIn: 10 });
    await invites.revoke(a.invite.id);
    clock.advance(10_000);
    expect((await invites.list()).map((i) => i.note)).toEqual(["b"]);
    expect((await invites.list({ all: true })).map((i) => i.note)).toEqual(["c", "b", "a"]);
    expect((await invites.list({ all: true, limit: 1, before: { createdAt: c.invite.createdAt, id: c.invite.id } })).map((i) => i.note)).toEqual(["b"]);
    expect(b.invite.id).not.toBe(c.invite.id);
  });

  it("purges invites past their expiry, used or not", async () => {
    const { invites, clock } = makeCore();
    const expired = await invites.create({ expiresIn: 60 });
    const live = await invites.create({ expiresIn: 3600 });
    clock.advance(61_000);
    expect(await invites.purgeExpired()).toBe(1);
    await expect(invites.get(expired.invite.id)).rejects.toThrow(`No invite with id ${expired.invite.id}`);
    expect((await invites.get(live.invite.id)).id).toBe(live.invite.id);
  });

  it("revoking an unknown id says so", async () => {
    const { invites } = makeCore();
    await expect(invites.revoke("nosuchid")).rejects.toThrow("No invite with id nosuchid");
  });

  it("never stores a usable token in the database file", () => {
    const dir = mkdtempSync(join(tmpdir(), "xmpp-invites-db-"));
    try {
      const stores = openSqliteStores(join(dir, "sub", "invites.sqlite"));
      const { db } = stores;
      const invites = new InviteService({ store: stores.invites, claims: stores.claims, clock: new FakeClock(), domain: "example.test", defaultExpiry: 3600 });
      const tokens = Array.from({ length: 20 }, async () => (await invites.create({ note: "findme" })).token);
      db.pragma("wal_checkpoint(TRUNCATE)");
      db.close();
      const bytes = readdirSync(join(dir, "sub")).map((f) => readFileSync(join(dir, "sub", f)).toString("latin1")).join("");
      expect(bytes).toContain("findme");
      for (const token of tokens) expect(bytes).not.toContain(token);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("uses WAL and migrates an existing database only forward", () => {
    const dir = mkdtempSync(join(tmpdir(), "xmpp-invites-db-"));
    try {
      const path = join(dir, "invites.sqlite");
      const first = openDatabase(path);
      expect(first.pragma("journal_mode", { simple: true })).toBe("wal");
      first.pragma("user_version = 99");
      first.close();
      expect(() => openDatabase(path)).toThrow(/newer than this program/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
