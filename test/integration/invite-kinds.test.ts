// Every kind of invite against a real Prosody 0.12, with the mutual subscription written through
// XEP-0356 (mod_privilege) and checked by logging in as each user and fetching the roster.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import type { ProsodyServer } from "../../tools/demo/prosody.js";
import { pw } from "../helpers/passwords.js";
import { canLogin, redeemAnonymously, rosterOf } from "../helpers/clients.js";
import { type Live, startLive } from "../helpers/live.js";
import { rosterStepsDone } from "../helpers/wait.js";

let live: Live;
let server: ProsodyServer;
let app: App;

beforeAll(async () => {
  live = await startLive();
  ({ server, app } = live);
  await server.registerUser("romeo", "pw-oemor-1234567");
  await server.registerUser("alice", "pw-dlo-ecila-1234567");
});

afterAll(() => live?.stop());

describe("invite kinds on a real Prosody", () => {
  it("XEP-0379: a contact invite with ;ibr=y ends with inviter and invitee subscribed both ways", async () => {
    const { token, uri } = await app.invites.create({ type: "contact", inviter: `romeo@${server.domain}`, allowRegistration: true });
    expect(uri).toMatch(/^xmpp:romeo@example\.test\?roster;preauth=\w+;ibr=y$/);
    expect((await redeemAnonymously(server, token, "juliet", "pw-teiluj-1234567")).ok).toBe(true);
    await rosterStepsDone(app, `juliet@${server.domain}`);

    const romeos = await rosterOf(server, "romeo", "pw-oemor-1234567");
    expect(romeos.get(`juliet@${server.domain}`)).toEqual({ subscription: "both", groups: [] });
    const juliets = await rosterOf(server, "juliet", "pw-teiluj-1234567");
    expect(juliets.get(`romeo@${server.domain}`)).toEqual({ subscription: "both", groups: [] });
    // The component never lands on anyone's roster.
    for (const roster of [romeos, juliets]) expect([...roster.keys()].some((jid) => jid.includes(server.componentDomain))).toBe(false);
  });

  it("a contact invite without ;ibr=y cannot create an account", async () => {
    const { token } = await app.invites.create({ type: "contact", inviter: `romeo@${server.domain}` });
    expect(await redeemAnonymously(server, token, "sneaky", "pw-ykaens-1234567")).toMatchObject({ ok: false, condition: "forbidden" });
    expect(await canLogin(server, "sneaky", "pw-ykaens-1234567")).toBe(false);
  });

  it("a password reset changes the password of its account only, and never creates another", async () => {
    const { invite, token } = await app.invites.create({ type: "reset", username: "alice" });
    expect(await redeemAnonymously(server, token, "mallory", "pw-yrollam-1234567")).toEqual({
      ok: false, type: "modify", condition: "not-acceptable", text: "Incorrect username for password reset",
    });
    expect(await canLogin(server, "mallory", "pw-yrollam-1234567")).toBe(false);
    expect((await redeemAnonymously(server, token, "alice", "pw-wen-ecila-1234567")).ok).toBe(true);
    expect(await canLogin(server, "alice", "pw-dlo-ecila-1234567")).toBe(false);
    expect(await canLogin(server, "alice", "pw-wen-ecila-1234567")).toBe(true);
    expect((await app.invites.get(invite.id)).uses).toBe(1);
    expect(await redeemAnonymously(server, token, "alice", "pw-driht-1234567")).toMatchObject({ ok: false, condition: "forbidden" });
  });

  it("a reset for an account that does not exist creates nothing", async () => {
    const { token } = await app.invites.create({ type: "reset", username: "nobody" });
    expect(await redeemAnonymously(server, token, "nobody", "pw-ydobon-1234567")).toMatchObject({ ok: false, type: "cancel", condition: "item-not-found" });
    expect(await canLogin(server, "nobody", "pw-ydobon-1234567")).toBe(false);
  });

  it("a fixed-username invite registers only that name", async () => {
    const { token } = await app.invites.create({ username: "fixed" });
    expect(await redeemAnonymously(server, token, "other", "pw-rehto-1234567")).toMatchObject({ ok: false, condition: "not-acceptable" });
    expect((await redeemAnonymously(server, token, "fixed", "pw-dexif-1234567")).ok).toBe(true);
  });

  it("a group invite subscribes its members with each other, in a roster group of that name", async () => {
    const { token } = await app.invites.create({ groups: ["Choir"], maxUses: 3 });
    for (const name of ["soprano", "alto", "tenor"]) expect((await redeemAnonymously(server, token, name, pw(name))).ok).toBe(true);
    await rosterStepsDone(app, `tenor@${server.domain}`);
    await rosterStepsDone(app, `alto@${server.domain}`);
    const tenor = await rosterOf(server, "tenor", "pw-ronet-1234567");
    expect(tenor.get(`soprano@${server.domain}`)).toEqual({ subscription: "both", groups: ["Choir"] });
    expect(tenor.get(`alto@${server.domain}`)).toEqual({ subscription: "both", groups: ["Choir"] });
    const soprano = await rosterOf(server, "soprano", "pw-onarpos-1234567");
    expect([...soprano.keys()].sort()).toEqual([`alto@${server.domain}`, `tenor@${server.domain}`]);
  });

  it("--uses 3 with 10 parallel redemptions creates exactly 3 accounts", async () => {
    const { invite, token } = await app.invites.create({ maxUses: 3 });
    const names = Array.from({ length: 10 }, (_, i) => `ten${i}`);
    const outcomes = await Promise.all(names.map((name) => redeemAnonymously(server, token, name, pw(name))));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(3);
    const logins = await Promise.all(names.map((name) => canLogin(server, name, pw(name))));
    expect(logins.filter(Boolean)).toHaveLength(3);
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 3, pending: 0 });
  });
});
