import { StorageUnavailable } from "../../../src/invites/ports/store.js";
import { describe, expect, it } from "vitest";
import { AppError } from "../../../src/errors.js";
import { InviteService } from "../../../src/invites/service/invite-service.js";
import { RegistrationService as RegistrationServiceClass, type RegistrationService, type ServerClaimRequest } from "../../../src/invites/registration/registration-service.js";
import { DOMAIN, makeCore } from "../../helpers/invites.js";

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("RegistrationService", () => {
  it("creates the account, then consumes the invite", async () => {
    const { registration, invites, adapter } = makeCore();
    const { invite, token } = await invites.create();
    const result = await registration.register({ token, username: "Alice", password: "correct horse", door: "xmpp", requester: "x@anon.example.test" });
    expect(result).toEqual({ jid: "alice@example.test", username: "alice", inviteId: invite.id, action: "created" });
    expect(adapter.accounts.get("alice")).toBe("correct horse");
    expect(await invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
  });

  it("refuses a used single-use token", async () => {
    const { registration, invites } = makeCore();
    const { token } = await invites.create();
    await registration.register({ token, username: "alice", password: "0987654321!?", door: "xmpp" });
    const err = await refusal(registration.register({ token, username: "bob", password: "0987654321!?", door: "xmpp" }));
    expect(err.code).toBe("token-invalid");
    expect(err.spec).toMatchObject({ type: "cancel", condition: "forbidden" });
  });

  it("a taken username gets conflict and leaves the invite usable", async () => {
    const { registration, invites, adapter } = makeCore();
    adapter.accounts.set("alice", "old");
    const { invite, token } = await invites.create();
    const err = await refusal(registration.register({ token, username: "alice", password: "0987654321!?", door: "xmpp" }));
    expect(err.code).toBe("username-taken");
    expect(err.message).toBe("The requested username already exists.");
    expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    await registration.register({ token, username: "alice2", password: "0987654321!?", door: "xmpp" });
    expect((await invites.get(invite.id)).uses).toBe(1);
  });

  it("a refused adapter call leaves the invite usable and logs an incident", async () => {
    const { registration, invites, adapter, logs } = makeCore();
    const { invite, token } = await invites.create();
    adapter.failWith = { ok: false, reason: "rejected", detail: "forbidden" };
    const err = await refusal(registration.register({ token, username: "alice", password: "0987654321!?", door: "xmpp" }));
    expect(err.code).toBe("account-creation-failed");
    const incident = /incident ([0-9a-f]+)/.exec(err.message)?.[1];
    expect(incident).toBeDefined();
    expect(logs.lines().some((line) => line["incident"] === incident && line["level"] === 50)).toBe(true);
    expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    adapter.failWith = undefined;
    await registration.register({ token, username: "alice", password: "0987654321!?", door: "xmpp" });
    expect((await invites.get(invite.id)).uses).toBe(1);
  });

  it.each([
    ["no answer", { ok: false as const, reason: "unavailable" as const, detail: "timeout" }],
    ["an exception", new Error("socket closed")],
  ])("an adapter call with %s: wait/remote-server-timeout, and the claim stays reserved for settlement", async (_what, failure) => {
    const { registration, invites, adapter, logs } = makeCore();
    const { invite, token } = await invites.create();
    adapter.failWith = failure;
    const err = await refusal(registration.register({ token, username: "alice", password: "0987654321!?", door: "web" }));
    expect(err).toMatchObject({ code: "server-unavailable", spec: { type: "wait", condition: "remote-server-timeout", http: 503 } });
    const incident = /incident ([0-9a-f]+)/.exec(err.message)?.[1];
    expect(logs.lines().some((line) => line["incident"] === incident && Number(line["level"]) >= 40)).toBe(true);
    expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 1 });
    expect(await invites.unsettledClaims()).toMatchObject([{ username: "alice", door: "web" }]);
  });

  it("a reply lost in a timeout: the account exists, and the same invite cannot make a second one", async () => {
    const { registration, invites, adapter } = makeCore();
    const { invite, token } = await invites.create();
    adapter.loseReply = true;
    expect((await refusal(registration.register({ token, username: "first", password: "0987654321!?", door: "web" }))).code).toBe("server-unavailable");
    expect(adapter.accounts.has("first")).toBe(true);
    adapter.loseReply = false;
    expect((await refusal(registration.register({ token, username: "second", password: "0987654321!?", door: "web" }))).code).toBe("token-invalid");
    expect(adapter.accounts.has("second")).toBe(false);
    const [open] = await invites.unsettledClaims();
    expect(await invites.settle(open!, (await adapter.accountExists("first")).exists === true)).toMatchObject({ action: "recorded", jid: "first@example.test" });
    expect(await invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
  });

  it("a reset with no answer gives its use back at once", async () => {
    const { registration, invites, adapter } = makeCore();
    adapter.accounts.set("bob", "old");
    const { invite, token } = await invites.create({ type: "reset", username: "bob" });
    adapter.failWith = { ok: false, reason: "unavailable", detail: "timeout" };
    expect((await refusal(registration.register({ token, username: "bob", password: "0987654321!?", door: "web" }))).code).toBe("server-unavailable");
    expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
  });

  it("a database that refuses writes: storage-unavailable (wait, 503) and nothing created", async () => {
    const { registration, invites, adapter, db } = makeCore();
    const { invite, token } = await invites.create();
    // The connection refuses every write (SQLITE_READONLY), as on a read-only file system.
    db.pragma("query_only = ON");
    const err = await refusal(registration.register({ token, username: "alice", password: "0987654321!?", door: "api" }));
    expect(err).toMatchObject({ code: "storage-unavailable", spec: { type: "wait", http: 503 } });
    expect(adapter.accounts.size).toBe(0);
    db.pragma("query_only = OFF");
    expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
  });

  it("when neither the use nor the rollback can be done, the claim stays for settlement", async () => {
    const { registration, invites, adapter } = makeCore();
    const { invite, token } = await invites.create();
    invites.consume = async () => {
      throw new StorageUnavailable(Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" }));
    };
    adapter.deleteAccount = async () => ({ ok: false, reason: "unavailable", detail: "timeout" });
    const err = await refusal(registration.register({ token, username: "alice", password: "0987654321!?", door: "api" }));
    expect(err.code).toBe("storage-unavailable");
    expect(adapter.accounts.has("alice")).toBe(true);
    expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 1 });
    expect(await invites.unsettledClaims()).toMatchObject([{ username: "alice", door: "api" }]);
  });

  it("a claim the store cannot give back asks settlement to run soon, so it is settled once the store is back", async () => {
    const { invites, claims, adapter, logs } = makeCore();
    let asked = 0;
    const registration = new RegistrationServiceClass({
      invites, adapter, policy: { inviteOnly: true, allowRegistration: false }, log: logs.log, minPasswordLength: 10,
      onClaimLeft: () => {
        asked += 1;
      },
    });
    const { invite, token } = await invites.create();
    const down = () => {
      throw new StorageUnavailable(Object.assign(new Error("Connection terminated"), { code: "ECONNRESET" }));
    };
    invites.consume = async () => down();
    claims.release = async () => down();
    const err = await refusal(registration.register({ token, username: "alice", password: "0987654321!?", door: "api" }));
    expect(err.code).toBe("storage-unavailable");
    // The account was rolled back; only the claim's release failed, and settlement was asked.
    expect(adapter.accounts.has("alice")).toBe(false);
    expect(asked).toBe(1);
    expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 1 });
    expect(await invites.unsettledClaims()).toMatchObject([{ username: "alice", door: "api" }]);
  });

  describe("refusals a new password cannot fix come before the password rules", () => {
    const badPassword = "alice-and-more-1234"; // contains the username
    it.each([
      ["no token, invite-only", (): string | undefined => undefined, "invite-only"],
      ["an unknown token", (): string | undefined => "A".repeat(24), "token-invalid"],
    ] as const)("%s", async (_what, token, code) => {
      const { registration } = makeCore();
      expect((await refusal(registration.register({ token: token(), username: "alice", password: badPassword, door: "xmpp" }))).code).toBe(code);
    });

    it("used, expired and revoked tokens, and a fixed-username mismatch", async () => {
      const { registration, invites, clock } = makeCore();
      const used = await invites.create();
      await registration.register({ token: used.token, username: "first", password: "0987654321!?", door: "xmpp" });
      const expired = await invites.create({ expiresIn: 60 });
      const revoked = await invites.create();
      await invites.revoke(revoked.invite.id);
      const fixed = await invites.create({ username: "zoe" });
      clock.advance(61_000);
      for (const token of [used.token, expired.token, revoked.token]) {
        expect((await refusal(registration.register({ token, username: "alice", password: badPassword, door: "web" }))).code).toBe("token-invalid");
      }
      expect((await refusal(registration.register({ token: fixed.token, username: "alice", password: badPassword, door: "api" }))).code).toBe("username-mismatch");
    });

    it("registration closed comes first of all", async () => {
      const { registration } = makeCore({ inviteOnly: false, allowRegistration: false });
      expect((await refusal(registration.register({ username: "alice", password: "short", door: "web" }))).code).toBe("registration-disabled");
    });

    it("with a good token, the password rules still apply and nothing is reserved", async () => {
      const { registration, invites } = makeCore();
      const { invite, token } = await invites.create();
      expect((await refusal(registration.register({ token, username: "alice", password: badPassword, door: "xmpp" }))).code).toBe("password-contains-username");
      expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    });
  });

  it("rolls the account back when the invite use cannot be recorded: nothing half done", async () => {
    const { registration, invites, adapter, logs } = makeCore();
    const { invite, token } = await invites.create();
    const consume = invites.consume.bind(invites);
    invites.consume = () => {
      throw new Error("disk full");
    };
    const err = await refusal(registration.register({ token, username: "alice", password: "0987654321!?", door: "xmpp" }));
    expect(err.code).toBe("internal");
    expect(adapter.accounts.has("alice")).toBe(false);
    expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    expect(logs.lines().some((line) => line["rolledBack"] === true)).toBe(true);
    invites.consume = consume;
    await registration.register({ token, username: "alice", password: "0987654321!?", door: "xmpp" });
    expect((await invites.get(invite.id)).uses).toBe(1);
  });

  it("a fixed-username invite registers only that username", async () => {
    const { registration, invites, adapter } = makeCore();
    const { token } = await invites.create({ username: "zoe" });
    const err = await refusal(registration.register({ token, username: "yann", password: "0987654321!?", door: "xmpp" }));
    expect(err.code).toBe("username-mismatch");
    expect(adapter.accounts.size).toBe(0);
    await registration.register({ token, username: "Zoe", password: "0987654321!?", door: "xmpp" });
    expect([...adapter.accounts.keys()]).toEqual(["zoe"]);
  });

  it("N concurrent redemptions of a k-use invite create exactly k accounts", async () => {
    const { registration, invites, adapter } = makeCore();
    adapter.delayMs = 5;
    const { invite, token } = await invites.create({ maxUses: 3 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => registration.register({ token, username: `user${i}`, password: "0987654321!?", door: "xmpp" })),
    );
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(3);
    expect(adapter.accounts.size).toBe(3);
    expect(await invites.get(invite.id)).toMatchObject({ uses: 3, pending: 0 });
  });

  it("refuses bad usernames and passwords before touching the invite", async () => {
    const { registration, invites, adapter } = makeCore();
    const { invite, token } = await invites.create();
    expect((await refusal(registration.register({ token, username: "a b", password: "0987654321!?", door: "xmpp" }))).code).toBe("username-invalid");
    expect((await refusal(registration.register({ token, username: "ab", password: "", door: "xmpp" }))).message).toBe("Password: Required value missing");
    expect((await refusal(registration.register({ token, username: "ab", password: "short", door: "xmpp" }))).message).toBe("Password is too short (minimum 10 characters)");
    expect((await refusal(registration.register({ token, username: "alice", password: "my-ALICE-password", door: "xmpp" }))).message).toBe("Password must not include your username");
    // What XML cannot carry is refused as such (no stanza could take it to the server); DEL it carries, but no one types it.
    expect((await refusal(registration.register({ token, username: "ab", password: "long-pass\u0000word", door: "xmpp" }))).code).toBe("invalid-characters");
    expect((await refusal(registration.register({ token, username: "ab", password: "long-pass\uFFFFword", door: "xmpp" }))).message).toMatch(/^password: contains characters that are not allowed/);
    expect((await refusal(registration.register({ token, username: "a\u0001b", password: "long-password", door: "xmpp" }))).message).toMatch(/^username: /);
    expect((await refusal(registration.register({ token, username: "ab", password: "long-pass\u007Fword", door: "xmpp" }))).code).toBe("password-invalid");
    expect((await refusal(registration.register({ token, username: "ab", password: "x".repeat(1025), door: "xmpp" }))).code).toBe("password-invalid");
    expect(adapter.calls).toBe(0);
    expect((await invites.get(invite.id)).pending).toBe(0);
  });

  it("never logs the password or the token", async () => {
    const { registration, invites, adapter, logs } = makeCore();
    const { token } = await invites.create();
    adapter.failWith = { ok: false, reason: "rejected", detail: "nope" };
    await refusal(registration.register({ token, username: "alice", password: "s3cret-pass", door: "xmpp" }));
    adapter.failWith = undefined;
    await registration.register({ token, username: "alice", password: "s3cret-pass", door: "xmpp" });
    await refusal(registration.register({ token, username: "bob", password: "s3cret-pass", door: "xmpp" }));
    expect(logs.text()).not.toContain("s3cret-pass");
    expect(logs.text()).not.toContain(token);
    expect(logs.text()).toContain("alice@example.test");
  });

  describe("contact invites (XEP-0379)", () => {
    it("with ;ibr=y: registers, then queues both sides of a mutual subscription with the inviter", async () => {
      const { registration, invites, queue } = makeCore();
      const { token, uri } = await invites.create({ type: "contact", inviter: "Romeo@example.test", allowRegistration: true });
      expect(uri).toBe(`xmpp:romeo@example.test?roster;preauth=${token};ibr=y`);
      await registration.register({ token, username: "juliet", password: "0987654321!?", door: "xmpp" });
      const tasks = (await queue.tasksFor("juliet@example.test")).map((t) => [t.owner, t.contact, t.doneAt]);
      expect(tasks).toEqual([["romeo@example.test", "juliet@example.test", null], ["juliet@example.test", "romeo@example.test", null]]);
    });

    it("without ;ibr=y it is no registration token (as in Prosody)", async () => {
      const { registration, invites, adapter } = makeCore();
      const { token, uri } = await invites.create({ type: "contact", inviter: "romeo@example.test" });
      expect(uri).toBe(`xmpp:romeo@example.test?roster;preauth=${token}`);
      expect((await refusal(registration.register({ token, username: "juliet", password: "0987654321!?", door: "xmpp" }))).code).toBe("token-invalid");
      expect(adapter.calls).toBe(0);
    });

    it("needs an inviter on the domain", async () => {
      const { invites } = makeCore();
      await expect(invites.create({ type: "contact" })).rejects.toThrow(/needs the inviter/);
      await expect(invites.create({ type: "contact", inviter: "romeo@elsewhere.example" })).rejects.toThrow(/must be a user of example.test/);
      await expect(invites.create({ type: "contact", inviter: "example.test" })).rejects.toThrow(/must be a user/);
      await expect(invites.create({ type: "contact", inviter: "invites.example.test" })).rejects.toThrow(/must be a user/);
    });
  });

  describe("password-reset invites", () => {
    it("set a new password on the existing account and never create one", async () => {
      const { registration, invites, adapter } = makeCore();
      adapter.accounts.set("alice", "old-password");
      const { invite, token, uri } = await invites.create({ type: "reset", username: "alice" });
      expect(uri).toBe(`xmpp:alice@example.test?register;preauth=${token}`);
      expect(invite.expiresAt - invite.createdAt).toBe(86400_000);
      const result = await registration.register({ token, username: "alice", password: "new-password", door: "xmpp" });
      expect(result.action).toBe("password-reset");
      expect(adapter.accounts).toEqual(new Map([["alice", "new-password"]]));
      expect((await invites.get(invite.id)).uses).toBe(1);
    });

    it("refuse another username with Prosody 13's error, creating nothing (Prosody 0.12 creates it)", async () => {
      const { registration, invites, adapter } = makeCore();
      adapter.accounts.set("alice", "old");
      const { invite, token } = await invites.create({ type: "reset", username: "alice" });
      const err = await refusal(registration.register({ token, username: "mallory", password: "0987654321!?", door: "xmpp" }));
      expect(err.message).toBe("Incorrect username for password reset");
      expect(err.spec).toMatchObject({ type: "modify", condition: "not-acceptable" });
      expect([...adapter.accounts.keys()]).toEqual(["alice"]);
      expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    });

    it("for an account that does not exist: item-not-found, nothing created, invite left usable", async () => {
      const { registration, invites, adapter } = makeCore();
      const { invite, token } = await invites.create({ type: "reset", username: "ghost" });
      expect((await refusal(registration.register({ token, username: "ghost", password: "0987654321!?", door: "xmpp" }))).code).toBe("account-not-found");
      expect(adapter.accounts.size).toBe(0);
      expect((await invites.get(invite.id)).pending).toBe(0);
    });

    it("queue no roster steps and cannot carry groups or uses", async () => {
      const { registration, invites, adapter, queue } = makeCore();
      adapter.accounts.set("alice", "old");
      await expect(invites.create({ type: "reset", username: "alice", groups: ["x"] })).rejects.toThrow(/no groups/);
      await expect(invites.create({ type: "reset", username: "alice", maxUses: 2 })).rejects.toThrow(/only once/);
      await expect(invites.create({ type: "reset" })).rejects.toThrow(/needs the username/);
      const { token } = await invites.create({ type: "reset", username: "alice" });
      await registration.register({ token, username: "alice", password: "0987654321!?2", door: "xmpp" });
      expect(await queue.tasksFor("alice@example.test")).toEqual([]);
    });
  });

  describe("group invites", () => {
    it("every member is subscribed with every other, in a roster group of the group's name", async () => {
      const { registration, invites, queue } = makeCore();
      const { token } = await invites.create({ groups: ["Team", "Team", " Book club "], maxUses: 3 });
      for (const name of ["ann", "ben", "cat"]) await registration.register({ token, username: name, password: "0987654321!?", door: "xmpp" });
      expect(await queue.groupMembers("Team")).toEqual(["ann@example.test", "ben@example.test", "cat@example.test"]);
      const pairs = (await queue.tasksFor("cat@example.test")).map((t) => `${t.owner}>${t.contact}:${t.groups.join("+")}`);
      expect(pairs.sort()).toEqual([
        "ann@example.test>cat@example.test:Book club+Team",
        "ben@example.test>cat@example.test:Book club+Team",
        "cat@example.test>ann@example.test:Book club+Team",
        "cat@example.test>ben@example.test:Book club+Team",
      ]);
    });

    it("refuse odd group names", async () => {
      const { invites } = makeCore();
      await expect(invites.create({ groups: [""] })).rejects.toThrow(/group name/);
      await expect(invites.create({ groups: ["x".repeat(65)] })).rejects.toThrow(/group name/);
      await expect(invites.create({ groups: Array.from({ length: 21 }, (_, i) => `g${i}`) })).rejects.toThrow(/at most 20/);
    });
  });

  // prosody-invites.md §3.4: registration_invite_only × allow_registration, row by row.
  describe("policy table", () => {
    it("invite-only, registration off (the default): token required, token works", async () => {
      const { registration, invites } = makeCore({ inviteOnly: true, allowRegistration: false });
      expect(registration.isAvailable).toBe(true);
      const err = await refusal(registration.register({ username: "a", password: "0987654321!?", door: "xmpp" }));
      expect(err.spec).toMatchObject({ type: "modify", condition: "not-acceptable" });
      expect(err.message).toBe("Registration on this server is through invitation only");
      await registration.register({ token: (await invites.create()).token, username: "a", password: "0987654321!?", door: "xmpp" });
    });

    it("invite-only, registration on: token still required", async () => {
      const { registration, invites } = makeCore({ inviteOnly: true, allowRegistration: true });
      expect((await refusal(registration.register({ username: "a", password: "0987654321!?", door: "xmpp" }))).code).toBe("invite-only");
      await registration.register({ token: (await invites.create()).token, username: "a", password: "0987654321!?", door: "xmpp" });
    });

    it("open registration: no token needed, a token is still honoured", async () => {
      const { registration, invites, adapter } = makeCore({ inviteOnly: false, allowRegistration: true });
      await registration.register({ username: "free", password: "0987654321!?", door: "xmpp", requester: "r@anon.example.test" });
      expect(await registration.registeredBy("r@anon.example.test")).toBe("free@example.test");
      const { invite, token } = await invites.create();
      await registration.register({ token, username: "invited", password: "0987654321!?", door: "xmpp" });
      expect((await invites.get(invite.id)).uses).toBe(1);
      expect(adapter.accounts.size).toBe(2);
    });

    it("neither: registration is unavailable, even with a valid token", async () => {
      const { registration, invites, adapter } = makeCore({ inviteOnly: false, allowRegistration: false });
      expect(registration.isAvailable).toBe(false);
      const err = await refusal(registration.register({ token: (await invites.create()).token, username: "a", password: "0987654321!?", door: "xmpp" }));
      expect(err.spec).toMatchObject({ type: "cancel", condition: "service-unavailable" });
      expect(adapter.calls).toBe(0);
    });
  });
});

describe("RegistrationService for the server bridge (the server creates the account itself)", () => {
  const request = (token: string | undefined, username = "alice", accountExists = false) =>
    ({ token, username, password: "0987654321!?", accountExists });

  it("claims with the same rules as every door, and counts the use only when the server consumes", async () => {
    const { registration, invites, adapter } = makeCore();
    const { invite, token } = await invites.create();
    const claim = await registration.claimForServer(request(token));
    expect(claim).toEqual({ claimId: expect.any(String), action: "created" });
    expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 1 });
    await expect(registration.claimForServer(request(token, "bob"))).rejects.toThrow(expect.objectContaining({ code: "token-invalid" }));
    await registration.settleServerClaim(claim.claimId ?? "", "alice", "consume");
    expect(await invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
    expect(adapter.accounts.size).toBe(0);
    // Settling twice is refused, so a retried consume never counts twice.
    await expect(registration.settleServerClaim(claim.claimId ?? "", "alice", "consume")).rejects.toThrow(expect.objectContaining({ code: "claim-not-found" }));
  });

  it("a release gives the use back", async () => {
    const { registration, invites } = makeCore();
    const { invite, token } = await invites.create();
    const claim = await registration.claimForServer(request(token));
    expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 1 });
    expect(await invites.validate(token)).toEqual({ ok: false, reason: "token-used" });
    await registration.settleServerClaim(claim.claimId ?? "", "alice", "release");
    expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    expect((await invites.validate(token)).ok).toBe(true);
  });

  describe("refusals a new password cannot fix come before the password rules, as at every door", () => {
    const badPassword = "alice-and-more-1234"; // contains the username
    const bad = (token: string | undefined, username = "alice", accountExists = false) => ({ token, username, password: badPassword, accountExists });
    const codeOf = async (registration: RegistrationService, claim: ServerClaimRequest) => (await refusal(registration.claimForServer(claim))).code;

    it("registration closed, a name the server prepared differently, no token at an invite-only server, a taken name without a token", async () => {
      expect(await codeOf(makeCore({ inviteOnly: false, allowRegistration: false }).registration, bad(undefined))).toBe("registration-disabled");
      const { registration, invites } = makeCore();
      const { token } = await invites.create();
      expect(await codeOf(registration, bad(token, "Alice"))).toBe("username-invalid");
      expect(await codeOf(registration, bad(undefined))).toBe("invite-only");
      expect(await codeOf(makeCore({ inviteOnly: false, allowRegistration: true }).registration, bad(undefined, "alice", true))).toBe("username-taken");
    });

    it("unknown, used, expired and revoked tokens, a contact invite without ibr=y, fixed-username and reset-username mismatches", async () => {
      const { registration, invites, clock } = makeCore();
      const used = await invites.create();
      await registration.settleServerClaim((await registration.claimForServer(request(used.token, "first"))).claimId ?? "", "first", "consume");
      const expired = await invites.create({ expiresIn: 60 });
      const revoked = await invites.create();
      await invites.revoke(revoked.invite.id);
      const contact = await invites.create({ type: "contact", inviter: "romeo@example.test" });
      const fixed = await invites.create({ username: "zoe" });
      const reset = await invites.create({ type: "reset", username: "zoe" });
      clock.advance(61_000);
      for (const token of ["A".repeat(24), used.token, expired.token, revoked.token, contact.token]) expect(await codeOf(registration, bad(token))).toBe("token-invalid");
      expect(await codeOf(registration, bad(fixed.token))).toBe("username-mismatch");
      expect(await codeOf(registration, bad(reset.token, "alice", true))).toBe("reset-username-mismatch");
    });

    it("a taken name for an account invite, a missing account for a reset invite; nothing reserved", async () => {
      const { registration, invites } = makeCore();
      const account = await invites.create();
      const reset = await invites.create({ type: "reset", username: "alice" });
      expect(await codeOf(registration, bad(account.token, "alice", true))).toBe("username-taken");
      expect(await codeOf(registration, bad(reset.token, "alice", false))).toBe("account-not-found");
      expect(await invites.get(account.invite.id)).toMatchObject({ pending: 0 });
      expect(await invites.get(reset.invite.id)).toMatchObject({ pending: 0 });
    });

    it("with a good token and a free name, the password rules apply and nothing is reserved", async () => {
      const { registration, invites } = makeCore();
      const { invite, token } = await invites.create();
      expect(await codeOf(registration, bad(token))).toBe("password-contains-username");
      expect(await codeOf(registration, { ...bad(token), password: "short" })).toBe("password-too-short");
      expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    });
  });

  it("refuses a taken name for account invites and a missing account for reset invites, without holding a claim", async () => {
    const { registration, invites } = makeCore();
    const account = await invites.create();
    await expect(registration.claimForServer(request(account.token, "alice", true))).rejects.toThrow(expect.objectContaining({ code: "username-taken" }));
    const reset = await invites.create({ type: "reset", username: "alice" });
    await expect(registration.claimForServer(request(reset.token, "alice", false))).rejects.toThrow(expect.objectContaining({ code: "account-not-found" }));
    expect((await registration.claimForServer(request(reset.token, "alice", true))).action).toBe("password-reset");
    expect((await invites.get(account.invite.id)).pending).toBe(0);
  });

  it("refuses a name the server prepared differently, and applies the password policy", async () => {
    const { registration, invites } = makeCore();
    const { token } = await invites.create();
    await expect(registration.claimForServer(request(token, "Alice"))).rejects.toThrow(expect.objectContaining({ code: "username-invalid" }));
    await expect(registration.claimForServer({ ...request(token), password: "short" })).rejects.toThrow(expect.objectContaining({ code: "password-too-short" }));
  });

  it("a bridge claim is left to the server while it may still be creating the account, even by another process", async () => {
    const { registration, invites, clock, store, claims } = makeCore();
    const { invite, token } = await invites.create();
    const claim = await registration.claimForServer(request(token));
    // Another process on the same database (a restarted component) holds nothing in memory.
    const other = new InviteService({ store, claims, clock, domain: DOMAIN, defaultExpiry: 3600, holdLimitMs: 60_000 });
    expect(await other.unsettledClaims()).toEqual([]);
    clock.advance(61_000);
    expect((await other.unsettledClaims()).map((open) => open.id)).toEqual([claim.claimId]);
    expect(await invites.get(invite.id)).toMatchObject({ uses: 0, pending: 1 });
    expect(await invites.findClaim(claim.claimId ?? "")).toMatchObject({ username: "alice", door: "bridge", invite: { id: invite.id } });
  });

  it("without a token: invite-only refuses, open registration claims nothing", async () => {
    await expect(makeCore().registration.claimForServer(request(undefined))).rejects.toThrow(expect.objectContaining({ code: "invite-only" }));
    expect(await makeCore({ inviteOnly: false, allowRegistration: true }).registration.claimForServer(request(undefined))).toEqual({ claimId: undefined, action: "created" });
  });
});
