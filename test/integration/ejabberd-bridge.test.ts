// The server bridge on a real ejabberd (23.01 or 24.12, whichever is installed): ejabberd/mod_xmpp_invites.erl
// compiled for it by `ejabberd-module build`, loaded through the server's code path, and a raw client that
// behaves like an app opening xmpp:DOMAIN?register;preauth=T (XEP-0401 0.3.0 §5.5 / XEP-0445: preauth IQ,
// then XEP-0077 registration, on the unauthenticated stream to the server itself).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type App, createApp } from "../../src/app.js";
import { buildEjabberdModule } from "../../src/cli/ejabberd-module.js";
import { parseConfig } from "../../src/config/load.js";
import { xml } from "../../src/protocol/xml.js";
import { type EjabberdServer, startEjabberd } from "../../tools/demo/ejabberd.js";
import { canLogin, login, redeemAnonymously, rosterOf } from "../helpers/clients.js";
import { type CapturedLog, captureLog } from "../helpers/logger.js";
import { appRegisters as appRegistersOn, readError } from "../helpers/app-register.js";
import { openRawStream, preauthPayload, registerPayload } from "../helpers/raw-stream.js";
import { until } from "../helpers/wait.js";

let server: EjabberdServer;
let app: App;
let logs: CapturedLog;
let buildDir: string;

beforeAll(async () => {
  buildDir = mkdtempSync(join(tmpdir(), "xmpp-invites-ejabberd-module-"));
  const { beam } = await buildEjabberdModule({ out: buildDir });
  server = await startEjabberd({
    beams: [beam],
    // A short wait for the component's answer, so the module's retries of a lost report come soon.
    extraModules: "  mod_xmpp_invites:\n    component: invites.example.test\n    timeout: 3",
  });
  logs = captureLog("info");
  app = createApp(parseConfig({
    domain: server.domain,
    component: { service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret },
    database: ":memory:",
    http: { listen: "127.0.0.1:0" },
    adapter: { type: "ejabberd-api", url: server.apiUrl() },
  }), logs.log, { backoff: { initialMs: 200, maxMs: 1000 } });
  await app.start();
  await until(() => app.bridge.discovery !== "unknown", 10_000, "bridge discovery");
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await server?.stop();
  rmSync(buildDir, { recursive: true, force: true });
}, 60_000);

const appRegisters = (token: string | undefined, username: string, password: string) => appRegistersOn(server, token, username, password);

const used = (id: string, uses = 1) => until(async () => (await app.invites.get(id)).uses === uses, 15_000, "the use to be recorded");

/** The accounts ejabberd has, by its HTTP API. */
async function accounts(): Promise<string[]> {
  const response = await fetch(`${server.apiUrl()}/registered_users`, { method: "POST", body: JSON.stringify({ host: server.domain }) });
  return (await response.json()) as string[];
}

describe("mod_xmpp_invites on ejabberd: the server's own registration redeems the component's invites", () => {
  it("advertises urn:xmpp:invite and urn:xmpp:ibr-token:0 on the unauthenticated stream, and the component discovers the bridge", async () => {
    const stream = await openRawStream(server.c2sPort, server.domain);
    stream.close();
    expect(stream.features).toMatch(/<register xmlns=['"]urn:xmpp:invite['"]\/>/);
    expect(stream.features).toMatch(/<register xmlns=['"]urn:xmpp:ibr-token:0['"]\/>/);
    expect(app.bridge.discovery).toBe("present");
    expect(app.bridge.works).toBe(true);
    expect(logs.text()).toContain("has the invite bridge: apps redeem invite links directly");
  });

  it("XEP-0445 §3: an app registers through ejabberd; ejabberd creates the account and the use is recorded after", async () => {
    const { invite, token } = await app.invites.create();
    expect(await appRegisters(token, "appuser", "pw-resupa-1234567")).toEqual({ step: "register", ok: true });
    expect(await canLogin(server, "appuser", "pw-resupa-1234567")).toBe(true);
    await used(invite.id);
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
    expect(logs.text()).not.toContain(token);
    expect(logs.text()).not.toContain("pw-resupa-1234567");
  });

  it("reuse refused: a token redeemed by an app is refused to a second app with the component's triple, at the XMPP door and on the web page", async () => {
    const { invite, token } = await app.invites.create();
    expect((await appRegisters(token, "firstdoor", "pw-roodtsrif-1234567")).ok).toBe(true);
    await used(invite.id);
    expect(await appRegisters(token, "secondapp", "pw-ppadnoces-1234567")).toEqual({
      step: "preauth", ok: false, type: "cancel", condition: "forbidden", text: "The invite token is invalid or expired",
    });
    expect(await redeemAnonymously(server, token, "seconddoor", "pw-roodd-1234567")).toMatchObject({ ok: false, condition: "forbidden" });
    expect((await fetch(`${app.http.url()}/invite/${token}`)).status).toBe(404);
    expect(await canLogin(server, "secondapp", "pw-ppadnoces-1234567")).toBe(false);
    expect(await canLogin(server, "seconddoor", "pw-roodd-1234567")).toBe(false);
  });

  it("a bad token gets cancel/forbidden; no token gets invite-only modify/not-acceptable: registration stays closed without mod_register", async () => {
    expect(await appRegisters("not-a-real-token-000000", "nobody", "pw-ydobon-1234567")).toEqual({
      step: "preauth", ok: false, type: "cancel", condition: "forbidden", text: "The invite token is invalid or expired",
    });
    expect(await appRegisters(undefined, "nobody", "pw-ydobon-1234567")).toEqual({
      step: "register", ok: false, type: "modify", condition: "not-acceptable", text: "Registration on this server is through invitation only",
    });
    expect(await canLogin(server, "nobody", "pw-ydobon-1234567")).toBe(false);
  });

  it("a taken username gets cancel/conflict and leaves the invite usable", async () => {
    await server.registerUser("takenname", "taken-original-pw");
    const { invite, token } = await app.invites.create();
    expect(await appRegisters(token, "takenname", "pw-emannekat-1234567")).toMatchObject({ step: "register", ok: false, type: "cancel", condition: "conflict" });
    expect(await canLogin(server, "takenname", "taken-original-pw")).toBe(true);
    await until(async () => (await app.invites.get(invite.id)).pending === 0, 10_000, "the claim to be given back");
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
  });

  it("a name taken between the claim and ejabberd's create (the module said it was free) gets cancel/conflict from ejabberd's own create; the use is given back and the invite stays usable", async () => {
    const { invite, token } = await app.invites.create();
    const claim = app.registration.claimForServer.bind(app.registration);
    const racing = vi.spyOn(app.registration, "claimForServer").mockImplementation(async (request) => {
      const claimed = await claim(request);
      expect(request.accountExists).toBe(false);
      await server.registerUser(request.username, "pw-first-come-1234567"); // someone else, meanwhile
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
    expect(await appRegisters(token, "forgetful", "pw-new-lufteg-1234567")).toEqual({ step: "register", ok: true });
    expect(await canLogin(server, "forgetful", "pw-new-lufteg-1234567")).toBe(true);
    expect(await canLogin(server, "forgetful", "old-password-123")).toBe(false);
    expect(await canLogin(server, "someoneelse", "pw-esleenoemos-1234567")).toBe(false);
    await used(invite.id);
  });

  it("a fixed-username invite refuses another name (nothing created, invite intact); the password policy of every door applies", async () => {
    const { invite, token } = await app.invites.create({ username: "fixedzoe" });
    expect(await appRegisters(token, "notzoe", "pw-eoztno-1234567")).toEqual({
      step: "register", ok: false, type: "modify", condition: "not-acceptable", text: "The chosen username is not valid with this invitation",
    });
    expect(await appRegisters(token, "fixedzoe", "abc")).toEqual({
      step: "register", ok: false, type: "modify", condition: "not-acceptable", text: "Password is too short (minimum 10 characters)",
    });
    expect(await canLogin(server, "notzoe", "pw-eoztno-1234567")).toBe(false);
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    expect((await appRegisters(token, "fixedzoe", "pw-eozdexif-1234567")).ok).toBe(true);
    await used(invite.id);
  });

  it("a reset invite for an account deleted meanwhile creates nothing", async () => {
    await server.registerUser("leaving", "leaving-pw-1234");
    const { invite, token } = await app.invites.create({ type: "reset", username: "leaving" });
    await fetch(`${server.apiUrl()}/unregister`, { method: "POST", body: JSON.stringify({ user: "leaving", host: server.domain }) });
    expect(await appRegisters(token, "leaving", "pw-gnivael-1234567")).toMatchObject({ step: "register", ok: false, type: "cancel" });
    expect(await canLogin(server, "leaving", "pw-gnivael-1234567")).toBe(false);
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
  });

  it("a consume that is lost is retried by the module until the component answers; meanwhile the use stays reserved", async () => {
    const { invite, token } = await app.invites.create();
    let lose = true;
    const report = app.registration.settleServerClaim.bind(app.registration);
    const lost = vi.spyOn(app.registration, "settleServerClaim").mockImplementation((...args) => (lose ? new Promise<never>(() => undefined) : report(...args)));
    try {
      expect(await appRegisters(token, "latecount", "pw-tnuocetal-1234567")).toEqual({ step: "register", ok: true });
      expect(await canLogin(server, "latecount", "pw-tnuocetal-1234567")).toBe(true);
      await until(() => lost.mock.calls.some(([, , outcome]) => outcome === "consume"), 10_000, "the module's consume");
      expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 1 });
      // Whoever else holds the link cannot use it meanwhile.
      expect(await appRegisters(token, "latecount2", "pw-2tnuocetal-1234567")).toMatchObject({ step: "preauth", type: "cancel", condition: "forbidden" });
      lose = false; // the module's next try (after its 3 s wait and 5 s back-off) gets through
      await until(async () => (await app.invites.get(invite.id)).uses === 1, 30_000, "the module's retried consume");
      expect(await app.invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
      expect(lost.mock.calls.filter(([, , outcome]) => outcome === "consume").length).toBeGreaterThanOrEqual(2);
    } finally {
      lost.mockRestore();
    }
  });

  it("a claim whose answer never arrives: the app is told to wait, nothing is created, and the module gives the use back at once", async () => {
    const { invite, token } = await app.invites.create();
    const claim = app.registration.claimForServer.bind(app.registration);
    const lost = vi.spyOn(app.registration, "claimForServer").mockImplementation(async (...args) => {
      await claim(...args); // reserved, but the answer is lost
      return new Promise<never>(() => undefined);
    });
    const released = vi.spyOn(app.registration, "settleServerClaim");
    try {
      expect(await appRegisters(token, "unanswered", "pw-derewsnanu-1234567")).toEqual({
        step: "register", ok: false, type: "wait", condition: "service-unavailable", text: "The invite service is not reachable; please try again later",
      });
      await until(() => released.mock.calls.some(([, username, outcome]) => username === "unanswered" && outcome === "release"), 5_000, "the module's release");
    } finally {
      lost.mockRestore();
      released.mockRestore();
    }
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    expect(await canLogin(server, "unanswered", "pw-derewsnanu-1234567")).toBe(false);
    expect(await appRegisters(token, "unanswered", "pw-derewsnanu-1234567")).toEqual({ step: "register", ok: true });
  });

  it("one token raced across the app path, the XMPP door and the web door: exactly one account; a 3-use invite makes exactly 3", async () => {
    for (const [uses, prefix] of [[1, "raceone"], [3, "racethree"]] as const) {
      const { invite, token } = await app.invites.create({ maxUses: uses });
      const doors = ["app", "xmpp", "web", "app", "xmpp", "web", "app", "xmpp", "web"] as const;
      const outcomes = await Promise.all(doors.map(async (door, i) => {
        const username = `${prefix}${i}`;
        const password = `pw-${prefix}-${i}-1234567`;
        if (door === "app") return (await appRegisters(token, username, password)).ok === true;
        if (door === "xmpp") return (await redeemAnonymously(server, token, username, password)).ok;
        return app.registration.register({ token, username, password, door: "web" }).then(() => true, () => false);
      }));
      await until(async () => (await app.invites.get(invite.id)).pending === 0, 15_000, "every claim settled");
      const made = (await accounts()).filter((jid) => jid.startsWith(prefix));
      expect(made.length, JSON.stringify(outcomes)).toBe(uses);
      expect(outcomes.filter(Boolean).length).toBe(uses);
      expect(await app.invites.get(invite.id)).toMatchObject({ uses, pending: 0 });
    }
  });

  it("XEP-0379 §3.4: an existing account's subscription request with the inviter's contact token is approved; both rosters end at both", async () => {
    await server.registerUser("romeo", "pw-oemor-1234567");
    await server.registerUser("juliet", "pw-teiluj-1234567");
    const { invite, token } = await app.invites.create({ type: "contact", inviter: `romeo@${server.domain}` });
    const juliet = await login(server, "juliet", "pw-teiluj-1234567");
    try {
      // The invitee's app approves the inviter's request back, as Conversations does for a contact it asked.
      juliet.on("stanza", (stanza: { is(name: string): boolean; attrs: Record<string, string> }) => {
        if (stanza.is("presence") && stanza.attrs["type"] === "subscribe") void juliet.send(xml("presence", { to: stanza.attrs["from"] ?? "", type: "subscribed" }));
      });
      await juliet.send(xml("presence"));
      await juliet.send(xml("presence", { to: `romeo@${server.domain}`, type: "subscribe" }, xml("preauth", { xmlns: "urn:xmpp:pars:0", token })));
      await used(invite.id);
      await until(async () => (await rosterOf(server, "romeo", "pw-oemor-1234567")).get(`juliet@${server.domain}`)?.subscription === "both", 10_000, "romeo's roster");
      await until(async () => (await rosterOf(server, "juliet", "pw-teiluj-1234567")).get(`romeo@${server.domain}`)?.subscription === "both", 10_000, "juliet's roster");
    } finally {
      await juliet.stop().catch(() => undefined);
    }
  });

  it("a subscription request with a token that is not the inviter's is left to the user: nothing approved, nothing spent", async () => {
    await server.registerUser("mallory", "pw-yrollam-1234567");
    const { invite, token } = await app.invites.create({ type: "contact", inviter: `romeo@${server.domain}` });
    const [mallory, juliet] = [await login(server, "mallory", "pw-yrollam-1234567"), await login(server, "juliet", "pw-teiluj-1234567")];
    try {
      let asked = false;
      juliet.on("stanza", (stanza: { is(name: string): boolean; attrs: Record<string, string> }) => {
        if (stanza.is("presence") && stanza.attrs["type"] === "subscribe" && stanza.attrs["from"]?.startsWith("mallory@")) asked = true;
      });
      await juliet.send(xml("presence"));
      await mallory.send(xml("presence", { to: `juliet@${server.domain}`, type: "subscribe" }, xml("preauth", { xmlns: "urn:xmpp:pars:0", token })));
      // The request reaches juliet as any other, for her to answer.
      await until(() => asked, 10_000, "the request to reach juliet");
      expect((await rosterOf(server, "mallory", "pw-yrollam-1234567")).get(`juliet@${server.domain}`)?.subscription).toBe("none");
      expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    } finally {
      await mallory.stop().catch(() => undefined);
      await juliet.stop().catch(() => undefined);
    }
  });

  it("the component's question about a contact claim is answered from the inviter's roster, and only to the component", async () => {
    const question = xml("subscription", { xmlns: "urn:xmpp-invites:bridge:0", inviter: `romeo@${server.domain}`, jid: `juliet@${server.domain}` });
    const asked = await app.connection.request(xml("iq", { type: "get", to: server.domain, from: server.componentDomain }, question), 5000);
    const answer = asked.getName() === "subscription" ? asked : asked.getChild("subscription");
    expect(answer?.attrs["approved"]).toBe("true");
    const mallory = await login(server, "mallory", "pw-yrollam-1234567");
    try {
      const refused = await mallory.iqCaller.request(xml("iq", { type: "get", to: server.domain }, question), 5000).then(() => undefined, (err: { condition?: string }) => err);
      expect(refused).toMatchObject({ condition: "forbidden" });
    } finally {
      await mallory.stop().catch(() => undefined);
    }
  });

  it("the landing page leads with the app when the module is present", async () => {
    const { token, uri } = await app.invites.create();
    const body = await (await fetch(`${app.http.url()}/invite/${token}`)).text();
    expect(body.indexOf(`<a class="button" href="${uri}">Open in your app</a>`)).toBeGreaterThan(0);
    expect(body.indexOf(`<a class="button" href="${uri}">`)).toBeLessThan(body.indexOf(`href="/invite/${token}/register"`));
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
    expect(await canLogin(server, "unlucky", "pw-ykculnu-1234567")).toBe(false);
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
  });
});

describe("where Debian's ejabberd finds the module", () => {
  it("ext_mod's contrib folder (CONTRIB_MODULES_PATH/mod_xmpp_invites/ebin, with a .spec file) works as well as -pa", async () => {
    const { beam } = await buildEjabberdModule({ out: join(buildDir, "contrib-build") });
    const contrib = await startEjabberd({ contribBeams: [beam], extraModules: "  mod_xmpp_invites:\n    component: invites.example.test" });
    try {
      const stream = await openRawStream(contrib.c2sPort, contrib.domain);
      stream.close();
      expect(stream.features).toMatch(/<register xmlns=['"]urn:xmpp:ibr-token:0['"]\/>/);
    } finally {
      await contrib.stop();
    }
  }, 90_000);
});
