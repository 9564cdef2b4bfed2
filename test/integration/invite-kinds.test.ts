// Every kind of invite against a real Prosody 0.12, with the mutual subscription written through
// XEP-0356 (mod_privilege) and checked by logging in as each user and fetching the roster.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import type { ProsodyServer } from "../../src/demo/prosody.js";
import { canLogin, redeemAnonymously, rosterOf } from "../helpers/clients.js";
import { type Live, startLive } from "../helpers/live.js";
import { rosterStepsDone } from "../helpers/wait.js";

let live: Live;
let server: ProsodyServer;
let app: App;

beforeAll(async () => {
  live = await startLive();
  ({ server, app } = live);
  await server.registerUser("romeo", "romeo-password");
  await server.registerUser("alice", "alice-old-password");
});

afterAll(() => live?.stop());

describe("invite kinds on a real Prosody", () => {
  it("XEP-0379: a contact invite with ;ibr=y ends with inviter and invitee subscribed both ways", async () => {
    const { token, uri } = app.invites.create({ type: "contact", inviter: `romeo@${server.domain}`, allowRegistration: true });
    expect(uri).toMatch(/^xmpp:romeo@example\.test\?roster;preauth=\w+;ibr=y$/);
    expect((await redeemAnonymously(server, token, "juliet", "juliet-password")).ok).toBe(true);
    await rosterStepsDone(app, `juliet@${server.domain}`);

    const romeos = await rosterOf(server, "romeo", "romeo-password");
    expect(romeos.get(`juliet@${server.domain}`)).toEqual({ subscription: "both", groups: [] });
    const juliets = await rosterOf(server, "juliet", "juliet-password");
    expect(juliets.get(`romeo@${server.domain}`)).toEqual({ subscription: "both", groups: [] });
    // The component never lands on anyone's roster.
    for (const roster of [romeos, juliets]) expect([...roster.keys()].some((jid) => jid.includes(server.componentDomain))).toBe(false);
  });

  it("a contact invite without ;ibr=y cannot create an account", async () => {
    const { token } = app.invites.create({ type: "contact", inviter: `romeo@${server.domain}` });
    expect(await redeemAnonymously(server, token, "sneaky", "sneaky-password")).toMatchObject({ ok: false, condition: "forbidden" });
    expect(await canLogin(server, "sneaky", "sneaky-password")).toBe(false);
  });

  it("a password reset changes the password of its account only, and never creates another", async () => {
    const { invite, token } = app.invites.create({ type: "reset", username: "alice" });
    expect(await redeemAnonymously(server, token, "mallory", "mallory-password")).toEqual({
      ok: false, type: "modify", condition: "not-acceptable", text: "Incorrect username for password reset",
    });
    expect(await canLogin(server, "mallory", "mallory-password")).toBe(false);
    expect((await redeemAnonymously(server, token, "alice", "alice-new-password")).ok).toBe(true);
    expect(await canLogin(server, "alice", "alice-old-password")).toBe(false);
    expect(await canLogin(server, "alice", "alice-new-password")).toBe(true);
    expect(app.invites.get(invite.id).uses).toBe(1);
    expect(await redeemAnonymously(server, token, "alice", "third-password")).toMatchObject({ ok: false, condition: "forbidden" });
  });

  it("a reset for an account that does not exist creates nothing", async () => {
    const { token } = app.invites.create({ type: "reset", username: "nobody" });
    expect(await redeemAnonymously(server, token, "nobody", "nobody-password")).toMatchObject({ ok: false, type: "cancel", condition: "item-not-found" });
    expect(await canLogin(server, "nobody", "nobody-password")).toBe(false);
  });

  it("a fixed-username invite registers only that name", async () => {
    const { token } = app.invites.create({ username: "fixed" });
    expect(await redeemAnonymously(server, token, "other", "other-password")).toMatchObject({ ok: false, condition: "not-acceptable" });
    expect((await redeemAnonymously(server, token, "fixed", "fixed-password")).ok).toBe(true);
  });

  it("a group invite subscribes its members with each other, in a roster group of that name", async () => {
    const { token } = app.invites.create({ groups: ["Choir"], maxUses: 3 });
    for (const name of ["soprano", "alto", "tenor"]) expect((await redeemAnonymously(server, token, name, `${name}-password`)).ok).toBe(true);
    await rosterStepsDone(app, `tenor@${server.domain}`);
    await rosterStepsDone(app, `alto@${server.domain}`);
    const tenor = await rosterOf(server, "tenor", "tenor-password");
    expect(tenor.get(`soprano@${server.domain}`)).toEqual({ subscription: "both", groups: ["Choir"] });
    expect(tenor.get(`alto@${server.domain}`)).toEqual({ subscription: "both", groups: ["Choir"] });
    const soprano = await rosterOf(server, "soprano", "soprano-password");
    expect([...soprano.keys()].sort()).toEqual([`alto@${server.domain}`, `tenor@${server.domain}`]);
  });

  it("--uses 3 with 10 parallel redemptions creates exactly 3 accounts", async () => {
    const { invite, token } = app.invites.create({ maxUses: 3 });
    const names = Array.from({ length: 10 }, (_, i) => `ten${i}`);
    const outcomes = await Promise.all(names.map((name) => redeemAnonymously(server, token, name, `${name}-password`)));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(3);
    const logins = await Promise.all(names.map((name) => canLogin(server, name, `${name}-password`)));
    expect(logins.filter(Boolean)).toHaveLength(3);
    expect(app.invites.get(invite.id)).toMatchObject({ uses: 3, pending: 0 });
  });
});
