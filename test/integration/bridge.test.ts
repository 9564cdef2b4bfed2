// The server bridge on a real Prosody 0.12: prosody/mod_xmpp_invites.lua loaded through
// plugin_paths, and a raw client that behaves like an app opening xmpp:DOMAIN?register;preauth=T
// (XEP-0401 0.3.0 §5.5 / XEP-0445: preauth IQ, then XEP-0077 registration, on the unauthenticated
// stream to the server itself).
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { App } from "../../src/app.js";
import type { ProsodyServer } from "../../tools/demo/prosody.js";
import { connectClient } from "../../src/client/redeem.js";
import { xml } from "../../src/protocol/xml.js";
import { canLogin, redeemAnonymously, rosterOf } from "../helpers/clients.js";
import { type Live, startLive } from "../helpers/live.js";
import { appRegisters as appRegistersOn, readError } from "../helpers/app-register.js";
import { openRawStream, preauthPayload, registerPayload } from "../helpers/raw-stream.js";
import { rosterStepsDone, until } from "../helpers/wait.js";

let live: Live;
let server: ProsodyServer;
let app: App;
/** Real time, moved on at will: to go past the time the bridge is given to report a claim. */
const clock = { offset: 0, now: () => Date.now() + clock.offset };

beforeAll(async () => {
  // A short wait for the component's answer, so the module's retries of a lost report come soon.
  live = await startLive({ bridge: true, vhostLines: ["xmpp_invites_timeout = 3"] }, {}, { clock });
  ({ server, app } = live);
  await until(() => app.bridge.discovery !== "unknown", 10_000, "bridge discovery");
});

afterAll(() => live?.stop());

const appRegisters = (token: string | undefined, username: string, password: string) => appRegistersOn(server, token, username, password);

const used = (id: string) => until(async () => (await app.invites.get(id)).uses === 1, 10_000, "the use to be recorded");

describe("mod_xmpp_invites: the server's own registration redeems the component's invites", () => {
  it("advertises urn:xmpp:invite and urn:xmpp:ibr-token:0 on the unauthenticated stream, and the component discovers the bridge", async () => {
    const stream = await openRawStream(server.c2sPort, server.domain);
    stream.close();
    expect(stream.features).toContain("<register xmlns='urn:xmpp:invite'/>");
    expect(stream.features).toContain("<register xmlns='urn:xmpp:ibr-token:0'/>");
    expect(app.bridge.discovery).toBe("present");
    expect(app.bridge.works).toBe(true);
    expect(live.logs.text()).toContain("has the invite bridge: apps redeem invite links directly");
  });

  it("XEP-0445 §3: an app registers through the server; Prosody creates the account and the use is recorded after", async () => {
    const { invite, token } = await app.invites.create();
    expect(await appRegisters(token, "appuser", "pw-resupa-1234567")).toEqual({ step: "register", ok: true });
    expect(await canLogin(server, "appuser", "pw-resupa-1234567")).toBe(true);
    await used(invite.id);
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
    expect(live.logs.text()).not.toContain(token);
    expect(live.logs.text()).not.toContain("pw-resupa-1234567");
  });

  it("single use across doors: a token redeemed by an app is refused at the component's XMPP door and the web page", async () => {
    const { invite, token } = await app.invites.create();
    expect((await appRegisters(token, "firstdoor", "pw-roodtsrif-1234567")).ok).toBe(true);
    await used(invite.id);
    expect(await redeemAnonymously(server, token, "seconddoor", "pw-roodd-1234567")).toEqual({
      ok: false, type: "cancel", condition: "forbidden", text: "The invite token is invalid or expired",
    });
    const page = await fetch(`${app.http.url()}/invite/${token}`);
    expect(page.status).toBe(404);
    expect(await canLogin(server, "seconddoor", "pw-roodd-1234567")).toBe(false);
  });

  it("single use across doors: a token redeemed in the browser is refused to an app with Prosody's triple", async () => {
    const { token } = await app.invites.create();
    const result = await app.registration.register({ token, username: "webfirst", password: "pw-tsrifbew-1234567", door: "web" });
    expect(result.jid).toBe(`webfirst@${server.domain}`);
    expect(await appRegisters(token, "appsecond", "pw-dnocesppa-1234567")).toEqual({
      step: "preauth", ok: false, type: "cancel", condition: "forbidden", text: "The invite token is invalid or expired",
    });
    expect(await canLogin(server, "appsecond", "pw-dnocesppa-1234567")).toBe(false);
  });

  it("a bad token gets mod_invites_register's cancel/forbidden; no token gets its invite-only modify/not-acceptable", async () => {
    expect(await appRegisters("not-a-real-token-000000", "nobody", "pw-ydobon-1234567")).toEqual({
      step: "preauth", ok: false, type: "cancel", condition: "forbidden", text: "The invite token is invalid or expired",
    });
    expect(await appRegisters(undefined, "nobody", "pw-ydobon-1234567")).toEqual({
      step: "register", ok: false, type: "modify", condition: "not-acceptable", text: "Registration on this server is through invitation only",
    });
    expect(await canLogin(server, "nobody", "pw-ydobon-1234567")).toBe(false);
  });

  it("a fixed-username invite refuses another name (nothing created, invite intact) and registers its own", async () => {
    const { invite, token } = await app.invites.create({ username: "fixedzoe" });
    expect(await appRegisters(token, "notzoe", "pw-eoztno-1234567")).toEqual({
      step: "register", ok: false, type: "modify", condition: "not-acceptable", text: "The chosen username is not valid with this invitation",
    });
    expect(await canLogin(server, "notzoe", "pw-eoztno-1234567")).toBe(false);
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    expect((await appRegisters(token, "fixedzoe", "pw-eozdexif-1234567")).ok).toBe(true);
    expect(await canLogin(server, "fixedzoe", "pw-eozdexif-1234567")).toBe(true);
  });

  it("the password policy of every door applies here too", async () => {
    const { invite, token } = await app.invites.create();
    expect(await appRegisters(token, "shortpw", "abc")).toEqual({
      step: "register", ok: false, type: "modify", condition: "not-acceptable", text: "Password is too short (minimum 10 characters)",
    });
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
  });

  it("a taken username gets cancel/conflict and leaves the invite usable", async () => {
    await server.registerUser("takenname", "taken-original-pw");
    const { invite, token } = await app.invites.create();
    expect(await appRegisters(token, "takenname", "pw-emannekat-1234567")).toEqual({
      step: "register", ok: false, type: "cancel", condition: "conflict", text: "The requested username already exists.",
    });
    expect(await canLogin(server, "takenname", "taken-original-pw")).toBe(true);
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
  });

  it("a name taken between the claim and Prosody's create (the module said it was free) gets cancel/conflict; the use is given back and the invite stays usable", async () => {
    const { invite, token } = await app.invites.create();
    const other = await app.invites.create();
    const claim = app.registration.claimForServer.bind(app.registration);
    const racing = vi.spyOn(app.registration, "claimForServer").mockImplementation(async (request) => {
      const claimed = await claim(request);
      expect(request.accountExists).toBe(false);
      // Someone else takes the name meanwhile, in the browser.
      await app.registration.register({ token: other.token, username: request.username, password: "pw-first-come-1234567", door: "web" });
      return claimed;
    });
    try {
      expect(await appRegisters(token, "raceforname", "pw-emanrofecar-1234567")).toEqual({
        step: "register", ok: false, type: "cancel", condition: "conflict", text: "The requested username already exists.",
      });
    } finally {
      racing.mockRestore();
    }
    expect(await canLogin(server, "raceforname", "pw-first-come-1234567")).toBe(true);
    await until(async () => (await app.invites.get(invite.id)).pending === 0, 10_000, "the claim to be given back");
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    expect(await appRegisters(token, "raceforname2", "pw-2emanrofecar-1234567")).toEqual({ step: "register", ok: true });
    await used(invite.id);
  });

  it("a reset invite changes the password of its one account and creates nothing", async () => {
    await server.registerUser("forgetful", "old-password-123");
    const { invite, token } = await app.invites.create({ type: "reset", username: "forgetful" });
    expect(await appRegisters(token, "someoneelse", "pw-esleenoemos-1234567")).toEqual({
      step: "register", ok: false, type: "modify", condition: "not-acceptable", text: "Incorrect username for password reset",
    });
    expect(await canLogin(server, "someoneelse", "pw-esleenoemos-1234567")).toBe(false);
    expect(await appRegisters(token, "forgetful", "pw-new-lufteg-1234567")).toEqual({ step: "register", ok: true });
    expect(await canLogin(server, "forgetful", "pw-new-lufteg-1234567")).toBe(true);
    expect(await canLogin(server, "forgetful", "old-password-123")).toBe(false);
    await used(invite.id);
  });

  it("a reset whose consume is lost stays reserved past the time given to the server: nothing is handed out on a guess, the module's report settles it", async () => {
    await server.registerUser("absent", "old-password-456");
    const { invite, token } = await app.invites.create({ type: "reset", username: "absent" });
    let lose = true;
    const report = app.registration.settleServerClaim.bind(app.registration);
    const lost = vi.spyOn(app.registration, "settleServerClaim").mockImplementation((...args) => (lose ? new Promise<never>(() => undefined) : report(...args)));
    try {
      expect(await appRegisters(token, "absent", "pw-new-tnesba-1234567")).toEqual({ step: "register", ok: true });
      expect(await canLogin(server, "absent", "pw-new-tnesba-1234567")).toBe(true);
      await until(() => lost.mock.calls.some(([, , outcome]) => outcome === "consume"), 10_000, "the module's consume");
      clock.offset += 10 * 60_000;
      expect(await app.settlement.run("test")).toMatchObject({ released: 0 });
      expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 1 });
      // Whoever else holds the link cannot reset the password again meanwhile.
      expect(await appRegisters(token, "absent", "pw-again-tnesba-1234567")).toMatchObject({ step: "preauth", type: "cancel", condition: "forbidden" });
      expect(await canLogin(server, "absent", "pw-new-tnesba-1234567")).toBe(true);
      lose = false; // the module's next retry gets through
      await until(async () => (await app.invites.get(invite.id)).uses === 1, 30_000, "the module's retried consume");
      expect(await app.invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
    } finally {
      lost.mockRestore();
    }
  });

  it("a reset invite for an account that no longer exists creates nothing", async () => {
    await server.registerUser("leaving", "leaving-pw-1234");
    const { invite, token } = await app.invites.create({ type: "reset", username: "leaving" });
    const removed = await server.prosodyctl(["deluser", `leaving@${server.domain}`]);
    expect(removed.code).toBe(0);
    expect(await appRegisters(token, "leaving", "pw-gnivael-1234567")).toEqual({
      step: "register", ok: false, type: "cancel", condition: "item-not-found", text: "The account whose password this invite resets does not exist",
    });
    expect(await canLogin(server, "leaving", "pw-gnivael-1234567")).toBe(false);
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
  });

  it("XEP-0379 + XEP-0401: a contact invite with ibr=y ends with both rosters at subscription both", async () => {
    await server.registerUser("inviter", "inviter-pw-1234");
    const { invite, token } = await app.invites.create({ type: "contact", inviter: `inviter@${server.domain}`, allowRegistration: true });
    expect(await appRegisters(token, "invitee", "pw-eetivni-1234567")).toEqual({ step: "register", ok: true });
    await used(invite.id);
    await rosterStepsDone(app, `invitee@${server.domain}`);
    const theirs = await rosterOf(server, "inviter", "inviter-pw-1234");
    const mine = await rosterOf(server, "invitee", "pw-eetivni-1234567");
    expect(theirs.get(`invitee@${server.domain}`)?.subscription).toBe("both");
    expect(mine.get(`inviter@${server.domain}`)?.subscription).toBe("both");
  });

  it("a contact invite without ibr=y registers nothing, as in Prosody", async () => {
    const { token } = await app.invites.create({ type: "contact", inviter: `inviter@${server.domain}` });
    expect(await appRegisters(token, "contactonly", "pw-ylnotcatnoc-1234567")).toEqual({
      step: "register", ok: false, type: "cancel", condition: "forbidden", text: "The invite token is invalid or expired",
    });
    expect(await canLogin(server, "contactonly", "pw-ylnotcatnoc-1234567")).toBe(false);
  });

  it("bridge requests from a user are refused: only the server's domain may claim", async () => {
    await server.registerUser("mallory", "mallory-pw-1234");
    const { invite, token } = await app.invites.create();
    const entity = await connectClient({ service: server.c2sService(), domain: server.domain, username: "mallory", password: "mallory-pw-1234", timeoutMs: 5000 });
    try {
      const claim = xml("claim", { xmlns: "urn:xmpp-invites:bridge:0", token, username: "mallory2", exists: "false" }, xml("password", {}, "pw-2yrollam-1234567"));
      const error = await entity.iqCaller.request(xml("iq", { type: "set", to: server.componentDomain }, claim), 5000).then(() => undefined, (err: { condition?: string; type?: string }) => err);
      expect(error).toMatchObject({ condition: "forbidden" });
      // Nor may a user ask the server's bridge module what a roster says.
      const question = xml("subscription", { xmlns: "urn:xmpp-invites:bridge:0", inviter: `inviter@${server.domain}`, jid: "someone@example.net" });
      const asked = await entity.iqCaller.request(xml("iq", { type: "get", to: server.domain }, question), 5000).then(() => undefined, (err: { condition?: string }) => err);
      expect(asked).toMatchObject({ condition: "forbidden" });
    } finally {
      await entity.stop().catch(() => undefined);
    }
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
  });

  it("the landing page leads with the app when the bridge works", async () => {
    const { token, uri } = await app.invites.create();
    const res = await fetch(`${app.http.url()}/invite/${token}`);
    const body = await res.text();
    expect(res.headers.get("link")).toBe(`<${uri}>; rel="alternate"`);
    // Install, come back, open in the app; the browser registration is the alternative after it.
    expect(body.indexOf(`<a class="button" href="${uri}">Open in your app</a>`)).toBeGreaterThan(0);
    expect(body.indexOf(`<a class="button" href="${uri}">`)).toBeLessThan(body.indexOf(`href="/invite/${token}/register"`));
    expect(body).toContain("opens invites directly");
  });

  // Last: it takes the component away for good.
  it("component unreachable: registration fails closed with a wait error and nothing is created", async () => {
    const { invite, token } = await app.invites.create();
    const stream = await openRawStream(server.c2sPort, server.domain);
    try {
      expect((await stream.iq("p1", preauthPayload(token))).type).toBe("result");
      await app.connection.stop();
      const reply = await stream.iq("r1", registerPayload("unlucky", "pw-ykculnu-1234567"));
      expect(readError(reply.xml)).toEqual({
        ok: false, type: "wait", condition: "service-unavailable", text: "The invite service is not reachable; please try again later",
      });
    } finally {
      stream.close();
    }
    expect(await appRegisters(token, "unlucky", "pw-ykculnu-1234567")).toMatchObject({ step: "preauth", type: "wait", condition: "service-unavailable" });
    expect(await canLogin(server, "unlucky", "pw-ykculnu-1234567")).toBe(false);
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
  });
});
