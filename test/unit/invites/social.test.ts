// Limits, the invitation tree, contact acceptance and notices, on the domain alone (in-memory
// SQLite, fake clock, fake notifier).
import { describe, expect, it } from "vitest";
import { ContactInvites } from "../../../src/invites/contacts.js";
import { InviteLimits, type InviteLimitSettings } from "../../../src/invites/limits.js";
import { fillWelcome, invitingUser, noticeEvents } from "../../../src/invites/notices.js";
import { InvitationStore } from "../../../src/invites/sqlite/invitation-store.js";
import { migrate } from "../../../src/invites/sqlite/migrations.js";
import { InvitationTree, flatten } from "../../../src/invites/tree.js";
import { makeCore } from "../../helpers/invites.js";
import { captureLog } from "../../helpers/logger.js";

const PASSWORD = "correct-horse-battery";
const LIMITS: InviteLimitSettings = { activePerUser: 0, perUserPerDay: 0, chainDepth: 0, chainWindowMs: 300_000, treeSize: 0 };

function setup(limits: Partial<InviteLimitSettings> = {}) {
  const core = makeCore();
  const stores = { invitations: new InvitationStore(core.db, core.queue) };
  const limit = new InviteLimits({ store: stores.invitations, clock: core.clock, limits: { ...LIMITS, ...limits } });
  const tree = new InvitationTree({ store: stores.invitations, invites: core.invites });
  const contacts = new ContactInvites({ invites: core.invites, claims: core.claims, store: stores.invitations, clock: core.clock, log: core.logs.log });
  /** `inviter` invites a new account `username` through a contact invite that may register. */
  const join = async (inviter: string, username: string) => {
    const { token } = core.invites.create({ type: "contact", inviter, allowRegistration: true, note: `for ${username}` });
    await core.registration.register({ token, username, password: PASSWORD, door: "web" });
  };
  return { ...core, invitations: stores.invitations, limits: limit, tree, contacts, join };
}

describe("who invited whom", () => {
  it("is recorded in the transaction that records the use, and kept after the invite is purged", async () => {
    const s = setup();
    await s.join("romeo@example.test", "juliet");
    await s.join("juliet@example.test", "nurse");
    s.clock.advance(8 * 86_400_000);
    expect(s.invites.purgeExpired()).toBe(2);
    const rows = flatten(s.tree.tree("romeo@example.test")).map(({ depth, node }) => [depth, node.jid, node.invitation?.note ?? null]);
    expect(rows).toEqual([[0, "romeo@example.test", null], [1, "juliet@example.test", "for juliet"], [2, "nurse@example.test", "for nurse"]]);
  });

  it("names the admin who made an invite without an inviter, and the CLI for the CLI's", async () => {
    const s = setup();
    const { token } = s.invites.create({ source: "Admin@Example.test/desk" });
    await s.registration.register({ token, username: "alpha", password: PASSWORD, door: "xmpp" });
    const cli = s.invites.create({ source: "cli" });
    await s.registration.register({ token: cli.token, username: "beta", password: PASSWORD, door: "api" });
    expect(s.tree.tree().map((node) => [node.jid, node.children.map((child) => child.jid)])).toEqual([
      ["admin@example.test", ["alpha@example.test"]], ["cli", ["beta@example.test"]],
    ]);
  });

  it("a database from before the table gets the invitations of its existing redemptions", async () => {
    const s = setup();
    await s.join("romeo@example.test", "juliet");
    s.db.exec("DELETE FROM invitations");
    s.db.pragma("user_version = 5");
    // Back to version 5: without what migrations 6 and 7 made.
    s.db.exec("DROP TRIGGER invitations_from_redemptions; DROP TABLE invitations; DROP INDEX invites_inviter; DROP TABLE account_requests; ALTER TABLE redemptions DROP COLUMN consent_at;");
    migrate(s.db);
    expect(s.invitations.invitedAs("juliet@example.test")).toMatchObject({ inviter: "romeo@example.test", kind: "account", note: "for juliet" });
  });

  it("revokes every pending invite of one user, and only those", () => {
    const s = setup();
    const mine = [s.invites.create({ type: "contact", inviter: "romeo@example.test" }), s.invites.create({ source: "romeo@example.test/phone" })];
    const other = s.invites.create({ type: "contact", inviter: "juliet@example.test" });
    expect(s.tree.revokePending("Romeo@example.test").map((invite) => invite.id).sort()).toEqual(mine.map((c) => c.invite.id).sort());
    expect(s.invites.get(other.invite.id).revokedAt).toBeNull();
  });
});

describe("invite limits", () => {
  it("active invites per user and invites per day", () => {
    const s = setup({ activePerUser: 2, perUserPerDay: 3 });
    const make = () => {
      s.limits.check("romeo@example.test");
      return s.invites.create({ type: "contact", inviter: "romeo@example.test" });
    };
    make();
    const second = make();
    expect(() => make()).toThrow("You have 2 invites that can still be used, the most allowed");
    s.invites.revoke(second.invite.id);
    make();
    s.invites.revoke(s.invites.list()[0]?.id ?? "");
    expect(() => make()).toThrow("You have created 3 invites in the last 24 hours, the most allowed; please try again later");
    s.clock.advance(86_400_001);
    expect(() => s.limits.check("romeo@example.test")).not.toThrow();
    expect(() => s.limits.check("juliet@example.test")).not.toThrow();
  });

  it("a chain deeper than chain_depth within the window is refused; once the window passed it is not", async () => {
    const s = setup({ chainDepth: 2, chainWindowMs: 300_000 });
    await s.join("admin@example.test", "a1");
    await s.join("a1@example.test", "a2");
    expect(() => s.limits.check("a1@example.test")).not.toThrow();
    expect(() => s.limits.check("a2@example.test")).toThrow("Your account comes at the end of a chain of 2 invites made within 300 seconds");
    s.clock.advance(300_001);
    expect(() => s.limits.check("a2@example.test")).not.toThrow();
  });

  it("a tree that reached tree_size accepts no invite from any of its accounts", async () => {
    const s = setup({ treeSize: 3 });
    await s.join("root@example.test", "b1");
    await s.join("root@example.test", "b2");
    expect(() => s.limits.check("b1@example.test")).not.toThrow();
    await s.join("b1@example.test", "c1");
    expect(s.invitations.treeSize("root@example.test")).toBe(3);
    expect(() => s.limits.check("b2@example.test")).toThrow("The invitation tree your account belongs to has reached 3 accounts");
    expect(() => s.limits.check("elsewhere@example.test")).not.toThrow();
  });
});

describe("contact invites accepted by existing accounts", () => {
  it("counts the use, records the invitation and queues the mutual subscription; refuses its inviter, account invites and a second use", () => {
    const s = setup();
    const { invite, token } = s.invites.create({ type: "contact", inviter: "romeo@example.test" });
    expect(() => s.contacts.accept(token, "romeo@example.test", "xmpp")).toThrow("This is your own invite");
    s.contacts.accept(token, "juliet@example.test", "xmpp");
    expect(s.invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
    expect(s.queue.tasksFor("juliet@example.test").map((t) => [t.owner, t.contact])).toEqual([
      ["romeo@example.test", "juliet@example.test"], ["juliet@example.test", "romeo@example.test"],
    ]);
    expect(() => s.contacts.accept(token, "nurse@example.test", "xmpp")).toThrow("The invite token is invalid or expired");
    const account = s.invites.create();
    expect(() => s.contacts.accept(account.token, "nurse@example.test", "xmpp")).toThrow("This invite is not a contact invite");
  });

  it("the bridge's claim is for the invite's own inviter only, and a release leaves the invite usable", () => {
    const s = setup();
    const { invite, token } = s.invites.create({ type: "contact", inviter: "romeo@example.test" });
    expect(() => s.contacts.claimForServer(token, "bob@other.test", "paris@example.test")).toThrow("The invite token is invalid or expired");
    const claim = s.contacts.claimForServer(token, "bob@other.test", "romeo@example.test");
    expect(() => s.contacts.settleServerClaim(claim, "eve@other.test", "consume")).toThrow("The claim was made for another address");
    s.contacts.settleServerClaim(claim, "bob@other.test", "release");
    expect(s.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    s.contacts.settleServerClaim(s.contacts.claimForServer(token, "bob@other.test", "romeo@example.test"), "bob@other.test", "consume");
    expect(s.invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
    expect(s.queue.tasksFor("bob@other.test")).toEqual([]);
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
    const { invite } = s.invites.create({ type: "contact", inviter: "romeo@example.test", allowRegistration: true, note: "cousin" });
    noticeEvents(notifier, base, captureLog().log).registered?.("web", "created", invite, "tybalt@example.test");
    expect(sent).toEqual([
      ["romeo@example.test", `tybalt@example.test joined Verona with your invite (${invite.id}) (invite note: cousin).`],
      ["admin@example.test", `New account on Verona: tybalt@example.test, invited by romeo@example.test (invite ${invite.id}) (invite note: cousin).`],
      ["watch@example.test", `New account on Verona: tybalt@example.test, invited by romeo@example.test (invite ${invite.id}) (invite note: cousin).`],
      ["tybalt@example.test", "Welcome tybalt"],
    ]);
    sent.length = 0;
    const cli = s.invites.create({ source: "cli" }).invite;
    noticeEvents(notifier, { ...base, watchers: [], welcome: undefined }, captureLog().log).registered?.("api", "created", cli, "x@example.test");
    expect(sent).toEqual([["admin@example.test", `x@example.test joined Verona with an invite (${cli.id}).`]]);
    sent.length = 0;
    noticeEvents(notifier, { ...base, watchers: [], welcome: undefined, notifyInviters: false }, captureLog().log).registered?.("api", "created", cli, "y@example.test");
    expect(sent).toEqual([]);
  });
});
