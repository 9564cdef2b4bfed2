// Against a real Prosody 0.12 on loopback: the component connects, accounts are created through
// XEP-0133, and the invitees log in with them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import type { ProsodyServer } from "../../tools/demo/prosody.js";
import { pw } from "../helpers/passwords.js";
import { canLogin, redeemAnonymously } from "../helpers/clients.js";
import { type Live, startLive } from "../helpers/live.js";
import type { CapturedLog } from "../helpers/logger.js";
import { apiRegister, webForm, webPost } from "../helpers/doors.js";
import { until } from "../helpers/wait.js";

let live: Live;
let server: ProsodyServer;
let app: App;
let logs: CapturedLog;

beforeAll(async () => {
  // A limit high enough for the races below, which all come from one address.
  live = await startLive({}, { http: { listen: "127.0.0.1:0", rate_limit: { max: 1000, window: 60 } } });
  ({ server, app, logs } = live);
});

afterAll(() => live?.stop());

describe("registration at the component, on a real Prosody", () => {
  it("an anonymous session redeems a token and the new account logs in with its password", async () => {
    const { invite, token } = await app.invites.create();
    const outcome = await redeemAnonymously(server, token, "alice", "pw-ecila-1-1234567");
    expect(outcome).toEqual({ ok: true, jid: `alice@${server.domain}` });
    expect(await canLogin(server, "alice", "pw-ecila-1-1234567")).toBe(true);
    expect(await canLogin(server, "alice", "pw-gnorw-1234567")).toBe(false);
    expect((await app.invites.get(invite.id)).uses).toBe(1);
  });

  it("the same single-use token is then refused with cancel/forbidden", async () => {
    const { token } = await app.invites.create();
    expect((await redeemAnonymously(server, token, "bob", "pw-b0b-1-1234567")).ok).toBe(true);
    expect(await redeemAnonymously(server, token, "bob2", "pw-b0b-1-1234567")).toEqual({
      ok: false, type: "cancel", condition: "forbidden", text: "The invite token is invalid or expired",
    });
    expect(await canLogin(server, "bob2", "pw-b0b-1-1234567")).toBe(false);
  });

  it("a fixed-username invite refuses another name and accepts its own", async () => {
    const { token } = await app.invites.create({ username: "zoe" });
    expect(await redeemAnonymously(server, token, "yann", "pw-nnay-1234567")).toEqual({
      ok: false, type: "modify", condition: "not-acceptable", text: "The chosen username is not valid with this invitation",
    });
    expect(await canLogin(server, "yann", "pw-nnay-1234567")).toBe(false);
    expect((await redeemAnonymously(server, token, "zoe", "pw-eoz-1234567")).ok).toBe(true);
    expect(await canLogin(server, "zoe", "pw-eoz-1234567")).toBe(true);
  });

  it("a taken username gets cancel/conflict and leaves the invite usable", async () => {
    await server.registerUser("carol", "carol-original");
    const { invite, token } = await app.invites.create();
    expect(await redeemAnonymously(server, token, "carol", "pw-nelots-1234567")).toEqual({
      ok: false, type: "cancel", condition: "conflict", text: "The requested username already exists.",
    });
    expect(await canLogin(server, "carol", "carol-original")).toBe(true);
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    expect((await redeemAnonymously(server, token, "carol2", "pw-2lorac-1234567")).ok).toBe(true);
  });

  it("20 parallel redemptions of one single-use token create exactly one account (Prosody creates several)", async () => {
    const { invite, token } = await app.invites.create();
    const names = Array.from({ length: 20 }, (_, i) => `racer${i}`);
    const outcomes = await Promise.all(names.map((name) => redeemAnonymously(server, token, name, pw(name))));
    const winners = names.filter((_, i) => outcomes[i]?.ok);
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes.filter((o) => !o.ok)) expect(outcome).toMatchObject({ condition: "forbidden" });
    const logins = await Promise.all(names.map((name) => canLogin(server, name, pw(name))));
    expect(names.filter((_, i) => logins[i])).toEqual(winners);
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
  });

  describe("single use under concurrency, at every door and across doors", () => {
    type Door = "xmpp" | "web" | "api";
    /** Starts every attempt at once (web forms are loaded first, as browsers would have them). */
    async function race(token: string, doors: Door[], prefix: string): Promise<{ names: string[]; winners: string[] }> {
      const base = app.http.url();
      const names = doors.map((door, i) => `${prefix}${door}${i}`);
      const csrf = await Promise.all(doors.map((door) => (door === "web" ? webForm(base, token) : Promise.resolve(""))));
      const outcomes = await Promise.all(doors.map(async (door, i): Promise<string> => {
        const name = names[i] ?? "";
        if (door === "xmpp") {
          const outcome = await redeemAnonymously(server, token, name, pw(name));
          return outcome.ok ? "created" : `xmpp ${outcome.condition}`;
        }
        if (door === "web") {
          const { status } = await webPost(base, token, csrf[i] ?? "", name, pw(name));
          return status === 200 ? "created" : `web ${status}`;
        }
        const { status } = await apiRegister(base, token, name, pw(name));
        return status === 201 ? "created" : `api ${status}`;
      }));
      // Every other attempt was refused because the token was used up, not for another reason.
      const refusals = new Set(outcomes.filter((outcome) => outcome !== "created"));
      for (const refusal of refusals) expect(["xmpp forbidden", "web 404", "api 404"]).toContain(refusal);
      const winners = names.filter((_, i) => outcomes[i] === "created");
      // What the doors said is what the server has: the winners, and only they, can log in.
      const logins = await Promise.all(names.map((name) => canLogin(server, name, pw(name))));
      expect(names.filter((_, i) => logins[i])).toEqual(winners);
      return { names, winners };
    }

    it("12 parallel web form posts of one single-use token create exactly one account", async () => {
      const { invite, token } = await app.invites.create();
      expect((await race(token, Array<Door>(12).fill("web"), "webrace")).winners).toHaveLength(1);
      expect(await app.invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
    });

    it("12 parallel API registrations with one single-use token create exactly one account", async () => {
      const { invite, token } = await app.invites.create();
      expect((await race(token, Array<Door>(12).fill("api"), "apirace")).winners).toHaveLength(1);
      expect(await app.invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
    });

    it("the three doors at once on one single-use token: exactly one account", async () => {
      const { invite, token } = await app.invites.create();
      const doors: Door[] = ["xmpp", "web", "api", "xmpp", "web", "api", "xmpp", "web", "api", "xmpp", "web", "api"];
      expect((await race(token, doors, "mix")).winners).toHaveLength(1);
      expect(await app.invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
    });

    it("the three doors at once on a 3-use token: exactly three accounts", async () => {
      const { invite, token } = await app.invites.create({ maxUses: 3 });
      const doors: Door[] = ["api", "xmpp", "web", "api", "xmpp", "web", "api", "xmpp", "web", "api", "xmpp", "web"];
      expect((await race(token, doors, "three")).winners).toHaveLength(3);
      expect(await app.invites.get(invite.id)).toMatchObject({ uses: 3, pending: 0 });
    });
  });

  it("the component reconnects after Prosody is restarted, and registers again", async () => {
    await server.restart();
    await until(() => app.connection.isOnline(), 15_000, "the component to reconnect");
    expect(logs.text()).toContain("reconnected to the XMPP server");
    const { token } = await app.invites.create();
    expect((await redeemAnonymously(server, token, "afterrestart", "pw-retfa-1234567")).ok).toBe(true);
    expect(await canLogin(server, "afterrestart", "pw-retfa-1234567")).toBe(true);
  });

  it("while Prosody is down, registration answers wait before reserving anything, and the invite works once it is back", async () => {
    const { invite, token } = await app.invites.create();
    await server.stopProcess();
    try {
      await until(() => !app.connection.isOnline(), 5000, "the component to notice");
      await expect(app.registration.register({ token, username: "patient", password: "pw-tneitap-1234567", door: "xmpp" }))
        .rejects.toMatchObject({ code: "server-unavailable", spec: { type: "wait" } });
      // The link is known to be down: nothing was sent, so nothing is reserved.
      expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    } finally {
      await server.startProcess();
      await until(() => app.connection.isOnline(), 15_000, "the component to reconnect");
    }
    expect((await redeemAnonymously(server, token, "patient", "pw-tneitap-1234567")).ok).toBe(true);
    expect((await app.invites.get(invite.id)).uses).toBe(1);
  });

  // Every door at trace, with every kind of secret: log-secrets.test.ts.
  it("no password or token reaches the info log of a successful redemption", async () => {
    const { token } = await app.invites.create();
    expect(await redeemAnonymously(server, token, "quiet", "pw-terces-yrev-42-1234567")).toEqual({ ok: true, jid: `quiet@${server.domain}` });
    expect(logs.text()).toContain(`"jid":"quiet@${server.domain}"`);
    expect(logs.text()).not.toContain("pw-terces-yrev-42-1234567");
    expect(logs.text()).not.toContain(token);
    expect(logs.text()).not.toContain(server.componentSecret);
  });
});
