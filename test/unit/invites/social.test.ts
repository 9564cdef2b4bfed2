// Limits, the invitation tree, contact acceptance and notices, on the domain alone (in-memory
// SQLite, fake clock, fake notifier).
import { describe, expect, it } from "vitest";
import { ContactInvites } from "../../../src/invites/social/contacts.js";
import { InviteLimits, type InviteLimitSettings } from "../../../src/invites/service/limits.js";
import { fillWelcome, invitingUser, noticeEvents } from "../../../src/invites/social/notices.js";
import { migrate } from "../../../src/adapters/store/sqlite/index.js";
import { InvitationTree, flatten } from "../../../src/invites/social/tree.js";
import { makeCore } from "../../helpers/invites.js";
import { captureLog } from "../../helpers/logger.js";

const PASSWORD = "correct-horse-battery";
const LIMITS: InviteLimitSettings = { activePerUser: 0, perUserPerDay: 0, chainDepth: 0, chainWindowMs: 300_000, treeSize: 0 };

function setup(limits: Partial<InviteLimitSettings> = {}) {
  const core = makeCore();
  const stores = { invitations: core.stores.invitations };
  const limit = new InviteLimits({ limits: { ...LIMITS, ...limits } });
  const tree = new InvitationTree({ store: stores.invitations, invites: core.invites });
  const contacts = new ContactInvites({ invites: core.invites, claims: core.claims, store: stores.invitations, clock: core.clock, log: core.logs.log });
  /** `inviter` invites a new account `username` through a contact invite that may register. */
  const join = async (inviter: string, username: string) => {
    const { token } = await core.invites.create({ type: "contact", inviter, allowRegistration: true, note: `for ${username}` });
    await core.registration.register({ token, username, password: PASSWORD, door: "web" });
  };
  /** `user` (not an admin) creates a contact invite within the limits. */
  const invite = (user: string) => core.invites.create({ type: "contact", inviter: user }, limit);
  return { ...core, invitations: stores.invitations, limits: limit, tree, contacts, join, invite };
}

describe("who invited whom", () => {
  it("is recorded in the transaction that records the use, and kept after the invite is purged", async () => {
    const s = setup();
    await s.join("romeo@example.test", "juliet");
    await s.join("juliet@example.test", "nurse");
    s.clock.advance(8 * 86_400_000);
    expect(await s.invites.purgeExpired()).toBe(2);
    const rows = flatten(await s.tree.tree("romeo@example.test")).map(({ depth, node }) => [depth, node.jid, node.invitation?.note ?? null]);
    expect(rows).toEqual([[0, "romeo@example.test", null], [1, "juliet@example.test", "for juliet"], [2, "nurse@example.test", "for nurse"]]);
  });

  it("names the admin who made an invite without an inviter, and the CLI for the CLI's", async () => {
    const s = setup();
    const { token } = await s.invites.create({ source: "Admin@Example.test/desk" });
    await s.registration.register({ token, username: "alpha", password: PASSWORD, door: "xmpp" });
    const cli = await s.invites.create({ source: "cli" });
    await s.registration.register({ token: cli.token, username: "beta", password: PASSWORD, door: "api" });
    expect((await s.tree.tree()).map((node) => [node.jid, node.children.map((child) => child.jid)])).toEqual([
      ["admin@example.test", ["alpha@example.test"]], ["cli", ["beta@example.test"]],
    ]);
  });

  it("a database from before the table gets the invitations of its existing redemptions", async () => {
    const s = setup();
    await s.join("romeo@example.test", "juliet");
    s.db.exec("DELETE FROM invitations");
    s.db.pragma("user_version = 5");
    // Back to version 5: without what migrations 6 and later made.
    s.db.exec("DROP TRIGGER invitations_from_redemptions; DROP TABLE invitations; DROP INDEX invites_inviter; DROP TABLE account_requests; ALTER TABLE redemptions DROP COLUMN consent_at; ALTER TABLE claims DROP COLUMN holder;");
    s.db.exec("DROP TABLE portal_sessions; DROP TABLE portal_failures; DROP TABLE rate_limits; DROP TABLE outbox; DROP TABLE preauth;");
    migrate(s.db);
    expect(await s.invitations.invitedAs("juliet@example.test")).toMatchObject({ inviter: "romeo@example.test", kind: "account", note: "for juliet" });
  });

  it("revokes every pending invite of one user, and only those", async () => {
    const s = setup();
    const mine = [await s.invites.create({ type: "contact", inviter: "romeo@example.test" }), await s.invites.create({ source: "romeo@example.test/phone" })];
    const other = await s.invites.create({ type: "contact", inviter: "juliet@example.test" });
    expect((await s.tree.revokePending("Romeo@example.test")).map((invite) => invite.id).sort()).toEqual(mine.map((c) => c.invite.id).sort());
    expect((await s.invites.get(other.invite.id)).revokedAt).toBeNull();
  });
});

describe("invite limits", () => {
  it("active invites per user and invites per day", async () => {
    const s = setup({ activePerUser: 2, perUserPerDay: 3 });
    const make = () => s.invite("romeo@example.test");
    await make();
    const second = await make();
    await expect(make()).rejects.toThrow("You have 2 invites that can still be used, the most allowed");
    await s.invites.revoke(second.invite.id);
    await make();
    await s.invites.revoke((await s.invites.list())[0]?.id ?? "");
    await expect(make()).rejects.toThrow("You have created 3 invites in the last 24 hours, the most allowed; please try again later");
    expect(await s.invites.list({ all: true })).toHaveLength(3);
    s.clock.advance(86_400_001);
    await expect(make()).resolves.toMatchObject({ invite: { inviter: "romeo@example.test" } });
    await expect(s.invite("juliet@example.test")).resolves.toBeDefined();
    // Admins pass no limits.
    for (let i = 0; i < 3; i++) await s.invites.create({ type: "contact", inviter: "romeo@example.test" });
  });

  it("a chain deeper than chain_depth within the window is refused; once the window passed it is not", async () => {
    const s = setup({ chainDepth: 2, chainWindowMs: 300_000 });
    await s.join("admin@example.test", "a1");
    await s.join("a1@example.test", "a2");
    await expect(s.invite("a1@example.test")).resolves.toBeDefined();
    await expect(s.invite("a2@example.test")).rejects.toThrow("Your account comes at the end of a chain of 2 invites made within 300 seconds");
    s.clock.advance(300_001);
    await expect(s.invite("a2@example.test")).resolves.toBeDefined();
  });

  it("a tree that reached tree_size accepts no invite from any of its accounts", async () => {
    const s = setup({ treeSize: 3 });
    await s.join("root@example.test", "b1");
    await s.join("root@example.test", "b2");
    await expect(s.invite("b1@example.test")).resolves.toBeDefined();
    await s.join("b1@example.test", "c1");
    expect(await s.invitations.treeSize("root@example.test")).toBe(3);
    await expect(s.invite("b2@example.test")).rejects.toThrow("The invitation tree your account belongs to has reached 3 accounts");
    await expect(s.invite("elsewhere@example.test")).resolves.toBeDefined();
  });

  it("the errors are the registry's: invite-limit and invite-chain-limit; an invite with limits needs its inviter", async () => {
    const s = setup({ activePerUser: 1, chainDepth: 1 });
    await s.join("admin@example.test", "d1");
    await expect(s.invite("d1@example.test")).rejects.toMatchObject({ code: "invite-chain-limit" });
    await s.invite("free@example.test");
    await expect(s.invite("free@example.test")).rejects.toMatchObject({ code: "invite-limit" });
    await expect(s.invites.create({ type: "account" }, s.limits)).rejects.toMatchObject({ code: "invalid-argument" });
  });
});

describe("contact invites accepted by existing accounts", () => {
  it("counts the use, records the invitation and queues the mutual subscription; refuses its inviter, account invites and a second use", async () => {
    const s = setup();
    const { invite, token } = await s.invites.create({ type: "contact", inviter: "romeo@example.test" });
    await expect(s.contacts.accept(token, "romeo@example.test", "xmpp")).rejects.toThrow("This is your own invite");
    await s.contacts.accept(token, "juliet@example.test", "xmpp");
    expect(await s.invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
    expect((await s.queue.tasksFor("juliet@example.test")).map((t) => [t.owner, t.contact])).toEqual([
      ["romeo@example.test", "juliet@example.test"], ["juliet@example.test", "romeo@example.test"],
    ]);
    await expect(s.contacts.accept(token, "nurse@example.test", "xmpp")).rejects.toThrow("The invite token is invalid or expired");
    const account = await s.invites.create();
    await expect(s.contacts.accept(account.token, "nurse@example.test", "xmpp")).rejects.toThrow("This invite is not a contact invite");
  });

  it("the bridge's claim is for the invite's own inviter only, and a release leaves the invite usable", async () => {
    const s = setup();
    const { invite, token } = await s.invites.create({ type: "contact", inviter: "romeo@example.test" });
    await expect(s.contacts.claimForServer(token, "bob@other.test", "paris@example.test")).rejects.toThrow("The invite token is invalid or expired");
    const claim = await s.contacts.claimForServer(token, "bob@other.test", "romeo@example.test");
    await expect(s.contacts.settleServerClaim(claim, "eve@other.test", "consume")).rejects.toThrow("The claim was made for another address");
    await s.contacts.settleServerClaim(claim, "bob@other.test", "release");
    expect(await s.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    await s.contacts.settleServerClaim(await s.contacts.claimForServer(token, "bob@other.test", "romeo@example.test"), "bob@other.test", "consume");
    expect(await s.invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
    expect(await s.queue.tasksFor("bob@other.test")).toEqual([]);
  });
});

describe("notices", () => {
  it("fills the welcome placeholders and finds the user behind an invite", () => {
    expect(fillWelcome("Hi {username}, welcome to {site_name} ({inviter}) {other}", { username: "juliet", siteName: "Verona", inviter: "romeo@example.test" }))
      .toBe("Hi juliet, welcome to Verona (romeo@example.test) {other}");
    expect(invitingUser({ inviter: null, source: "Admin@Example.test/desk" })).toBe("admin@example.test");
    expect(invitingUser({ inviter: null, source: "api:k1" })).toBeNull();
  });

  it("tells the inviter (or the admins), the watchers once each, and welcomes the new account; not when turned off", async () => {
    const sent: [string, string][] = [];
    const notifier = { notify: async (to: string, text: string) => void sent.push([to, text]) };
    const base = { siteName: "Verona", domain: "example.test", admins: ["admin@example.test"], watchers: ["admin@example.test", "watch@example.test"], notifyInviters: true, welcome: "Welcome {username}" };
    const s = setup();
    const { invite } = await s.invites.create({ type: "contact", inviter: "romeo@example.test", allowRegistration: true, note: "cousin" });
    noticeEvents(notifier, base, captureLog().log).registered?.("web", "created", invite, "tybalt@example.test");
    expect(sent).toEqual([
      ["romeo@example.test", `tybalt@example.test joined Verona with your invite (${invite.id}) (invite note: cousin).`],
      ["admin@example.test", `New account on Verona: tybalt@example.test, invited by romeo@example.test (invite ${invite.id}) (invite note: cousin).`],
      ["watch@example.test", `New account on Verona: tybalt@example.test, invited by romeo@example.test (invite ${invite.id}) (invite note: cousin).`],
      ["tybalt@example.test", "Welcome tybalt"],
    ]);
    sent.length = 0;
    const cli = (await s.invites.create({ source: "cli" })).invite;
    noticeEvents(notifier, { ...base, watchers: [], welcome: undefined }, captureLog().log).registered?.("api", "created", cli, "x@example.test");
    expect(sent).toEqual([["admin@example.test", `x@example.test joined Verona with an invite (${cli.id}).`]]);
    sent.length = 0;
    noticeEvents(notifier, { ...base, watchers: [], welcome: undefined, notifyInviters: false }, captureLog().log).registered?.("api", "created", cli, "y@example.test");
    expect(sent).toEqual([]);
  });
});
