// Claim settlement over the real SQLite stores and a fake server: what a crash or a timeout left
// open is recorded when the account exists, given back when it does not, kept when nobody can tell.
import { describe, expect, it } from "vitest";
import { ClaimSettlement } from "../../../src/invites/settlement.js";
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
    expect(await settlement.run("test")).toEqual({ open: 1, recorded: 1, released: 0, kept: 0 });
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

  it("a reset claim is given back without asking the server (repeating a reset is harmless)", async () => {
    const { invites, adapter, settlement } = await setup();
    adapter.accounts.set("resetme", "old");
    const reset = await invites.create({ type: "reset", username: "resetme" });
    await invites.leave(await invites.claim(reset.token, "resetme"));
    adapter.cannotTell = "would not be asked";
    expect(await settlement.run("test")).toMatchObject({ released: 1, kept: 0 });
    expect((await invites.validate(reset.token)).ok).toBe(true);
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
