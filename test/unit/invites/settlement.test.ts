// Claim settlement over the real SQLite stores and a fake server: what a crash or a timeout left
// open is recorded when the account exists, given back when it does not, kept when nobody can tell.
import { describe, expect, it } from "vitest";
import { ContactInvites } from "../../../src/invites/social/contacts.js";
import type { SubscriptionCheck } from "../../../src/invites/ports/server.js";
import { DEFAULT_HOLD_LIMIT_MS } from "../../../src/invites/service/invite-service.js";
import { ClaimSettlement } from "../../../src/invites/registration/settlement.js";
import { makeCore } from "../../helpers/invites.js";

async function setup(maxUses = 1) {
  const core = makeCore();
  const registered: string[] = [];
  const settlement = new ClaimSettlement({
    invites: core.invites,
    adapter: core.adapter,
    log: core.logs.log,
    intervalMs: 60_000,
    events: { registered: (door, action) => registered.push(`${door}:${action}`) },
  });
  const created = await core.invites.create({ maxUses, inviter: "alice@example.test", groups: ["Team"] });
  return { ...core, settlement, registered, ...created };
}

describe("claim settlement", () => {
  it("an account that exists: the use is recorded as the registration would have, with its roster steps", async () => {
    const { invites, adapter, settlement, registered, invite, token, queue } = await setup();
    const claim = await invites.claim(token, "crashed", { door: "web", requester: null });
    await invites.leave(claim); // as after a crash: nobody holds it
    adapter.accounts.set("crashed", "pw");
    expect(await settlement.run("test")).toEqual({ open: 1, recorded: 1, released: 0, kept: 0, waiting: 0 });
    expect(await invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
    expect(registered).toEqual(["web:created"]);
    expect((await queue.due(Number.MAX_SAFE_INTEGER, 100)).map((task) => `${task.owner}>${task.contact}`).sort())
      .toEqual(["alice@example.test>crashed@example.test", "crashed@example.test>alice@example.test"]);
    expect(await invites.unsettledClaims()).toEqual([]);
  });

  it("an account that does not exist: the use is given back at once", async () => {
    const { invites, settlement, invite, token } = await setup();
    await invites.leave(await invites.claim(token, "nevermade"));
    expect((await invites.validate(token)).ok).toBe(false);
    expect(await settlement.run("test")).toMatchObject({ recorded: 0, released: 1 });
    expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    expect((await invites.validate(token)).ok).toBe(true);
  });

  it("a server that cannot tell: the claim stays reserved, is counted and tried again", async () => {
    const { invites, adapter, settlement, invite, token, logs } = await setup();
    await invites.leave(await invites.claim(token, "unsure"));
    adapter.cannotTell = "component not connected";
    expect(await settlement.run("test")).toMatchObject({ kept: 1 });
    expect(await settlement.run("test")).toMatchObject({ kept: 1 });
    expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 1 });
    expect((await invites.unsettledClaims())[0]?.checks).toBe(2);
    expect(logs.lines().some((line) => /cannot tell whether the account/.test(String(line["msg"])))).toBe(true);
    adapter.cannotTell = undefined;
    adapter.accounts.set("unsure", "pw");
    expect(await settlement.run("test")).toMatchObject({ recorded: 1 });
    expect(await invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
  });

  it("a reset claim is never given back on a guess: it waits for the server's report, and goes only once its invite has ended", async () => {
    const { invites, adapter, settlement, registration, clock } = await setup();
    adapter.accounts.set("resetme", "old");
    const reset = await invites.create({ type: "reset", username: "resetme" });
    // The server's bridge claimed it and changed the password; its consume is lost.
    const { claimId } = await registration.claimForServer({ token: reset.token, username: "resetme", password: "a-new-password-1", accountExists: true });
    clock.advance(DEFAULT_HOLD_LIMIT_MS + 1);
    expect(await settlement.run("test")).toMatchObject({ open: 1, released: 0, kept: 0, waiting: 1 });
    expect(await invites.get(reset.invite.id)).toMatchObject({ uses: 0, pending: 1 });
    expect(await invites.validate(reset.token)).toEqual({ ok: false, reason: "token-used" });
    // The report arrives late: the use is recorded.
    await registration.settleServerClaim(claimId ?? "", "resetme", "consume");
    expect(await invites.get(reset.invite.id)).toMatchObject({ uses: 1, pending: 0 });

    // A claim left by a crash at any door waits the same way, until its invite expires.
    const other = await invites.create({ type: "reset", username: "resetme" });
    await invites.leave(await invites.claim(other.token, "resetme"));
    adapter.cannotTell = "would not be asked";
    expect(await settlement.run("test")).toMatchObject({ released: 0, waiting: 1 });
    expect(await invites.validate(other.token)).toEqual({ ok: false, reason: "token-used" });
    clock.advance(other.invite.expiresAt - clock.now());
    expect(await settlement.run("test")).toMatchObject({ released: 1, waiting: 0 });
    expect(await invites.get(other.invite.id)).toMatchObject({ uses: 0, pending: 0 });
  });

  it("an account recorded by another invite since the claim is not this claim's", async () => {
    const { invites, adapter, settlement, invite, token } = await setup();
    await invites.leave(await invites.claim(token, "contested"));
    const other = await invites.create();
    const otherClaim = await invites.claim(other.token, "contested");
    adapter.accounts.set("contested", "pw");
    await invites.consume(otherClaim, { jid: "contested@example.test", door: "api", requester: null });
    expect(await settlement.run("test")).toMatchObject({ recorded: 0, released: 1 });
    expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
  });

  it("skips the claims of registrations still in flight in this process", async () => {
    const { invites, adapter, settlement, invite, token } = await setup();
    await invites.claim(token, "inflight");
    adapter.accounts.set("inflight", "pw");
    expect(await settlement.run("test")).toMatchObject({ open: 0 });
    expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 1 });
  });
});

/** Settlement with contact invites, a bridge's answers about subscriptions (inviter>invitee: approved), and Romeo's invite. */
async function contactSetup(check: "none" | Map<string, boolean | "unknown">) {
  const core = makeCore();
  const accepted: string[] = [];
  const contacts = new ContactInvites({ invites: core.invites, claims: core.claims, store: core.stores.invitations, clock: core.clock, log: core.logs.log, events: { contactAccepted: (_invite, jid, door) => accepted.push(`${door}:${jid}`) } });
  const asked: string[] = [];
  const subscriptions: SubscriptionCheck = {
    approved: async (inviter, invitee) => {
      asked.push(`${inviter}>${invitee}`);
      const answer = check === "none" ? undefined : check.get(`${inviter}>${invitee}`);
      return answer === undefined || answer === "unknown" ? { approved: "unknown", detail: "no answer" } : { approved: answer };
    },
  };
  const settlement = new ClaimSettlement({
    invites: core.invites, adapter: core.adapter, log: core.logs.log, intervalMs: 60_000,
    ...(check === "none" ? {} : { contacts: { invites: contacts, check: subscriptions } }),
  });
  const created = await core.invites.create({ type: "contact", inviter: "romeo@example.test" });
  return { ...core, contacts, settlement, asked, accepted, ...created };
}

describe("claim settlement: contact invites accepted through the server's bridge", () => {
  it("a lost consume: the inviter's roster approves the invitee, so the use is recorded and a second person is refused", async () => {
    const { contacts, settlement, invites, invite, token, clock, asked, accepted } = await contactSetup(new Map([["romeo@example.test>juliet@example.net", true]]));
    await contacts.claimForServer(token, "juliet@example.net", "romeo@example.test");
    // The server approved Juliet; its consume never arrives. Young claims are the server's to settle.
    expect(await settlement.run("test")).toMatchObject({ open: 0 });
    clock.advance(DEFAULT_HOLD_LIMIT_MS + 1);
    expect(await settlement.run("test")).toMatchObject({ open: 1, recorded: 1, released: 0 });
    expect(asked).toEqual(["romeo@example.test>juliet@example.net"]);
    expect(accepted).toEqual(["bridge:juliet@example.net"]);
    expect(await invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
    await expect(contacts.claimForServer(token, "mallory@example.net", "romeo@example.test")).rejects.toMatchObject({ code: "token-invalid" });
  });

  it("the module's own report arriving while the server is asked wins; the pass goes on", async () => {
    const { contacts, settlement, invites, adapter, logs, invite, token, clock } = await contactSetup(new Map());
    const claimId = await contacts.claimForServer(token, "juliet@example.net", "romeo@example.test");
    clock.advance(DEFAULT_HOLD_LIMIT_MS + 1);
    const late = new ClaimSettlement({
      invites, adapter, log: logs.log, intervalMs: 60_000,
      contacts: {
        invites: contacts,
        check: {
          approved: async () => {
            await contacts.settleServerClaim(claimId, "juliet@example.net", "consume"); // the retried consume gets through
            return { approved: false };
          },
        },
      },
    });
    expect(await late.run("test")).toMatchObject({ open: 1, recorded: 0, released: 0 });
    expect(await invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
    expect(await settlement.run("test")).toMatchObject({ open: 0 });
  });

  it("no approval on the inviter's roster: the use is given back", async () => {
    const { contacts, settlement, invites, invite, token, clock } = await contactSetup(new Map([["romeo@example.test>juliet@example.net", false]]));
    await contacts.claimForServer(token, "juliet@example.net", "romeo@example.test");
    clock.advance(DEFAULT_HOLD_LIMIT_MS + 1);
    expect(await settlement.run("test")).toMatchObject({ recorded: 0, released: 1 });
    expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    expect((await invites.validate(token)).ok).toBe(true);
  });

  it("a server that cannot tell, or no way to ask: the claim stays reserved and the token refused to anyone else", async () => {
    for (const check of [new Map<string, boolean | "unknown">(), "none" as const]) {
      const { contacts, settlement, invites, invite, token, clock } = await contactSetup(check);
      await contacts.claimForServer(token, "juliet@example.net", "romeo@example.test");
      clock.advance(DEFAULT_HOLD_LIMIT_MS + 1);
      expect(await settlement.run("test")).toMatchObject({ open: 1, recorded: 0, released: 0, kept: 1 });
      expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 1 });
      await expect(contacts.claimForServer(token, "mallory@example.net", "romeo@example.test")).rejects.toMatchObject({ code: "token-invalid" });
    }
  });
});
