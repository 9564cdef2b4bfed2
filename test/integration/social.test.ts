// Invites between people who already have accounts, and what surrounds inviting, on a real
// Prosody 0.12 with the bridge module and real clients: XEP-0379 contact invites accepted by
// accounts of this server and of another one, the accept command, notices and the welcome
// message from the component, limits, the invitation tree at every interface, and disco#info.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Element } from "ltx";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { App } from "../../src/app.js";
import { xml } from "../../src/protocol/xml.js";
import { freePort } from "../../tools/demo/ports.js";
import { type ProsodyServer, startProsody } from "../../tools/demo/prosody.js";
import { type Session, login, redeemAnonymously } from "../helpers/clients.js";
import { type Live, startLive } from "../helpers/live.js";
import { rosterStepsDone, until } from "../helpers/wait.js";

const COMMANDS = "http://jabber.org/protocol/commands";
const PARS = "urn:xmpp:pars:0";
const BIN = resolve("dist/cli/main.js");
const PW = "pw-sharedsecret-98765";

/** Real time, moved on at will: to go past the time the server's bridge is given to report a claim. */
const clock = { offset: 0, now: () => Date.now() + clock.offset };
let live: Live;
let server: ProsodyServer;
/** A second Prosody process, remote.test, federated with the first over s2s on loopback. */
let remote: ProsodyServer;
let app: App;
let dir: string;
let configPath: string;

interface Peer {
  readonly jid: string;
  readonly session: Session;
  readonly messages: Element[];
  readonly presences: Element[];
}
const peers: Peer[] = [];

/** Logs in, collects messages, and is available (initial presence), as a chat app would be. */
async function online(username: string, host = "example.test", on: ProsodyServer = server): Promise<Peer> {
  const session = await login(on, username, PW, host);
  const messages: Element[] = [];
  const presences: Element[] = [];
  session.on("stanza", (stanza: Element) => {
    if (stanza.is("message") && stanza.getChildText("body") !== null) messages.push(stanza);
    if (stanza.is("presence")) presences.push(stanza);
  });
  await session.send(xml("presence"));
  const peer = { jid: `${username}@${host}`, session, messages, presences };
  peers.push(peer);
  return peer;
}

/** Waits for a message from the component's JID whose body matches. */
async function told(peer: Peer, pattern: RegExp): Promise<string> {
  const find = () => peer.messages.find((m) => m.attrs.from === server.componentDomain && pattern.test(m.getChildText("body") ?? ""));
  await until(() => find() !== undefined, 10_000, `a message to ${peer.jid} matching ${pattern}`);
  return find()?.getChildText("body") ?? "";
}

function ask(session: Session, payload: Element, type: "get" | "set" = "set"): Promise<Element> {
  return session.iqCaller.request(xml("iq", { type, to: server.componentDomain }, payload), 5000);
}

function execute(session: Session, node: string, fields?: Record<string, string>): Promise<Element> {
  const form = fields && xml("x", { xmlns: "jabber:x:data", type: "submit" }, Object.entries(fields).map(([k, v]) => xml("field", { var: k }, xml("value", {}, v))));
  return ask(session, xml("command", { xmlns: COMMANDS, node, action: "execute" }, form));
}

const uriOf = (reply: Element) =>
  reply.getChild("command", COMMANDS)?.getChild("x", "jabber:x:data")?.getChildren("field").find((f) => f.attrs.var === "uri")?.getChildText("value") ?? "";
const tokenOf = (uri: string) => /preauth=(\w+)/.exec(uri)?.[1] ?? "";
const noteOf = (reply: Element) => reply.getChild("command", COMMANDS)?.getChildText("note") ?? "";

async function refusal(promise: Promise<unknown>): Promise<{ condition: string | undefined; type: string | undefined; text: string | undefined }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { condition?: string; type?: string; text?: string };
    return { condition: e.condition, type: e.type, text: e.text };
  }
  throw new Error("expected an error");
}

/** XEP-0379 §3.4 as Conversations does it: pre-approve the inviter, then subscribe with the token. */
async function acceptInApp(invitee: Peer, inviter: string, token: string): Promise<void> {
  await invitee.session.send(xml("presence", { to: inviter, type: "subscribed" }));
  await invitee.session.send(xml("presence", { to: inviter, type: "subscribe" }, xml("preauth", { xmlns: PARS, token })));
}

async function subscription(owner: string, host: string, contact: string): Promise<string | undefined> {
  const session = await login(server, owner, PW, host);
  try {
    const reply = await session.iqCaller.request(xml("iq", { type: "get" }, xml("query", { xmlns: "jabber:iq:roster" })), 5000);
    return reply.getChild("query")?.getChildren("item").find((item) => item.attrs["jid"] === contact)?.attrs["subscription"];
  } finally {
    await session.stop().catch(() => undefined);
  }
}

/** The roster item for `contact` as the user's own app reads it (RFC 6121 §2.1.3): subscription and pending request. */
async function itemIn(session: Session, contact: string): Promise<{ subscription?: string; ask?: string } | undefined> {
  const reply = await session.iqCaller.request(xml("iq", { type: "get" }, xml("query", { xmlns: "jabber:iq:roster" })), 5000);
  const item = reply.getChild("query", "jabber:iq:roster")?.getChildren("item").find((i) => i.attrs["jid"] === contact);
  return item && { ...(item.attrs["subscription"] ? { subscription: String(item.attrs["subscription"]) } : {}), ...(item.attrs["ask"] ? { ask: String(item.attrs["ask"]) } : {}) };
}

const mutual = (a: [string, string], b: [string, string]) =>
  until(async () => (await subscription(a[0], a[1], `${b[0]}@${b[1]}`)) === "both" && (await subscription(b[0], b[1], `${a[0]}@${a[1]}`)) === "both", 10_000, `${a[0]} and ${b[0]} subscribed both ways`);

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args, "--config", configPath], { encoding: "utf8", timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

let romeo: Peer;
let juliet: Peer;
let bob: Peer;
let mallory: Peer;
let admin: Peer;
let watcher: Peer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "xmpp-invites-social-"));
  const config = {
    admins: ["admin@example.test"],
    allow_user_invites: true,
    site_name: "Example Chat",
    registration_watchers: ["watcher@example.test"],
    welcome_message: "Welcome {username} to {site_name}, invited by {inviter}!",
    invite_limits: { active_per_user: 3, per_user_per_day: 0, chain_depth: 2, chain_window: 300, tree_size: 0 },
    database: join(dir, "invites.sqlite"),
  };
  // mod_offline keeps the welcome for an account that is not logged in yet, as a stock Prosody config does.
  const [s2sHere, s2sThere] = [await freePort(), await freePort()];
  live = await startLive({ bridge: true, extraHosts: ["other.test"], vhostModules: ["offline"], s2s: { port: s2sHere, routes: { "remote.test": s2sThere } } }, config, { clock });
  remote = await startProsody({ domain: "remote.test", anonDomain: "anon.remote.test", componentDomain: "invites.remote.test", privilege: false, s2s: { port: s2sThere, routes: { "example.test": s2sHere } } });
  ({ server, app } = live);
  await until(() => app.bridge.discovery !== "unknown", 10_000, "bridge discovery");
  for (const user of ["romeo", "juliet", "mallory", "admin", "watcher", "lena"]) await server.registerUser(user, PW);
  await server.registerUser("bob", PW, "other.test");
  [romeo, juliet, bob, mallory, admin, watcher] = await Promise.all([
    online("romeo"), online("juliet"), online("bob", "other.test"), online("mallory"), online("admin"), online("watcher"),
  ]);
  configPath = join(dir, "config.json");
  writeFileSync(configPath, JSON.stringify({
    domain: server.domain,
    component: { service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret },
    ...config,
  }));
}, 120_000);

afterAll(async () => {
  await Promise.all(peers.map((peer) => peer.session.stop().catch(() => undefined)));
  await live?.stop();
  await remote?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("XEP-0379: a contact invite redeemed by an existing account", () => {
  it("§3.4 same server: the subscription request carrying the token is approved by the inviter's server; both end subscribed, the inviter is told", async () => {
    const reply = await execute(romeo.session, "urn:xmpp:invite#invite");
    const uri = uriOf(reply);
    expect(uri).toMatch(/^xmpp:romeo@example\.test\?roster;preauth=\w+/);
    const id = (await app.invites.list()).find((invite) => invite.inviter === "romeo@example.test")?.id ?? "";
    await acceptInApp(juliet, "romeo@example.test", tokenOf(uri));
    await mutual(["romeo", "example.test"], ["juliet", "example.test"]);
    await until(async () => (await app.invites.get(id)).uses === 1, 10_000, "the use to be recorded");
    expect(await told(romeo, /juliet@example\.test accepted your contact invite/)).toContain(id);
  });

  it("§3.4 another server: an account of other.test accepts the same way", async () => {
    const { invite, token } = await app.invites.create({ type: "contact", inviter: "romeo@example.test", note: "met at the fair" });
    await acceptInApp(bob, "romeo@example.test", token);
    await mutual(["romeo", "example.test"], ["bob", "other.test"]);
    await until(async () => (await app.invites.get(invite.id)).uses === 1, 10_000, "the use to be recorded");
    expect(await told(romeo, /bob@other\.test accepted your contact invite .*met at the fair/)).toBeTruthy();
  });

  it("§5 a token that is not the inviter's (or is used up) is ignored: the request waits for manual approval, nothing is spent", async () => {
    const { invite, token } = await app.invites.create({ type: "contact", inviter: "juliet@example.test" });
    await acceptInApp(mallory, "romeo@example.test", token); // juliet's token, sent to romeo
    // The request reaches romeo's app as an ordinary one, for romeo to approve or not.
    await until(() => romeo.presences.some((p) => p.attrs.type === "subscribe" && p.attrs.from === "mallory@example.test"), 10_000, "the request to reach romeo");
    expect(await subscription("romeo", "example.test", "mallory@example.test")).toBeUndefined();
    expect(await subscription("mallory", "example.test", "romeo@example.test")).toBe("none");
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
  });

  /**
   * The invitee accepts `inviter`'s contact invite in its app (pre-approving, as Conversations
   * does, or approving the inviter's request when it arrives); both rosters must then read both
   * with no pending request: the invitee's from its own session, as its app shows it.
   */
  async function acceptedBothWays(invitee: Peer, inviter: string, preapprove: boolean): Promise<void> {
    const { invite, token } = await app.invites.create({ type: "contact", inviter: `${inviter}@example.test` });
    if (preapprove) {
      await acceptInApp(invitee, `${inviter}@example.test`, token);
    } else {
      invitee.session.on("stanza", (stanza: Element) => {
        if (stanza.is("presence") && stanza.attrs.type === "subscribe" && stanza.attrs.from === `${inviter}@example.test`) void invitee.session.send(xml("presence", { to: `${inviter}@example.test`, type: "subscribed" }));
      });
      await invitee.session.send(xml("presence", { to: `${inviter}@example.test`, type: "subscribe" }, xml("preauth", { xmlns: PARS, token })));
    }
    await until(async () => (await app.invites.get(invite.id)).uses === 1, 10_000, "the use to be recorded");
    await until(async () => (await itemIn(invitee.session, `${inviter}@example.test`))?.subscription === "both", 10_000, `${invitee.jid} to see ${inviter} as both`);
    expect(await itemIn(invitee.session, `${inviter}@example.test`)).toEqual({ subscription: "both" });
    const session = await login(server, inviter, PW);
    try {
      await until(async () => (await itemIn(session, invitee.jid))?.subscription === "both", 10_000, `${inviter} to see ${invitee.jid} as both`);
      expect(await itemIn(session, invitee.jid)).toEqual({ subscription: "both" });
    } finally {
      await session.stop().catch(() => undefined);
    }
  }

  it("§3.4 the inviter offline: the invitee's own request is answered too, so both rosters read both with no pending request (this domain and another)", async () => {
    await server.registerUser("friar", PW); // never logged in while the invites are accepted
    await server.registerUser("nurse", PW);
    await server.registerUser("carol", PW, "other.test");
    const [nurse, carol] = await Promise.all([online("nurse"), online("carol", "other.test")]);
    await acceptedBothWays(nurse, "friar", true);
    await acceptedBothWays(carol, "friar", false);
  });

  it("§3.4 across servers over s2s (a second Prosody process): the remote invitee's roster and the inviter's read both, no pending request", async () => {
    await server.registerUser("laurence", PW); // offline
    await server.registerUser("balthasar", PW);
    await remote.registerUser("dave", PW, "remote.test");
    await remote.registerUser("erin", PW, "remote.test");
    const [dave, erin] = await Promise.all([online("dave", "remote.test", remote), online("erin", "remote.test", remote), online("balthasar")]);
    await acceptedBothWays(dave, "laurence", false);
    await acceptedBothWays(erin, "balthasar", true);
  });

  it("a consume the bridge module sent is lost for longer than its claim is left alone: settlement asks the inviter's roster, records the use, and a second person is refused", async () => {
    await server.registerUser("capulet", PW);
    await server.registerUser("peter", PW);
    await server.registerUser("sampson", PW);
    const [peter, sampson] = await Promise.all([online("peter"), online("sampson")]);
    const { invite, token } = await app.invites.create({ type: "contact", inviter: "capulet@example.test" });
    // Every report of the module is lost (the component never answers it; the module keeps retrying).
    const lost = vi.spyOn(app.contacts, "settleServerClaim").mockImplementation(() => new Promise<never>(() => undefined));
    try {
      await acceptInApp(peter, "capulet@example.test", token);
      await until(() => lost.mock.calls.some(([, , outcome]) => outcome === "consume"), 10_000, "the module's consume");
      await until(async () => (await itemIn(peter.session, "capulet@example.test"))?.subscription === "both", 10_000, "peter and capulet subscribed");
      expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 1 });
      // Past the time a bridge claim is left to the server, settlement runs.
      clock.offset += 10 * 60_000;
      await app.settlement.run("test");
      expect(await app.invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
    } finally {
      lost.mockRestore();
    }
    // Capulet is told as if the consume had arrived (the notice waited in offline storage).
    const capulet = await online("capulet");
    expect(await told(capulet, /peter@example\.test accepted your contact invite/)).toBeTruthy();
    // The single-use token is spent: Sampson's request with it reaches Capulet as an ordinary one.
    await sampson.session.send(xml("presence", { to: "capulet@example.test", type: "subscribe" }, xml("preauth", { xmlns: PARS, token })));
    await until(() => capulet.presences.some((p) => p.attrs.type === "subscribe" && p.attrs.from === "sampson@example.test"), 10_000, "the request to reach capulet");
    expect(await itemIn(sampson.session, "capulet@example.test")).toEqual({ subscription: "none", ask: "subscribe" });
    expect(await subscription("capulet", "example.test", "sampson@example.test")).toBeUndefined();
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
  });

  it("nobody subscribes a third party by typing its address: only the server may claim for an invitee", async () => {
    const { invite, token } = await app.invites.create({ type: "contact", inviter: "romeo@example.test" });
    const forged = xml("subscribe", { xmlns: "urn:xmpp-invites:bridge:0", token, inviter: "romeo@example.test", jid: "lena@example.test" });
    expect(await refusal(ask(mallory.session, forged))).toMatchObject({ condition: "forbidden" });
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    expect(await subscription("lena", "example.test", "romeo@example.test")).toBeUndefined();
  });

  it("the accept command: an account of this server sends the link from its own session; the roster writer subscribes both", async () => {
    await server.registerUser("paris", PW);
    const { invite, token } = await app.invites.create({ type: "contact", inviter: "juliet@example.test" });
    const paris = await online("paris");
    const reply = await execute(paris.session, "xmpp-invites#accept", { invite: `xmpp:juliet@example.test?roster;preauth=${token}` });
    expect(noteOf(reply)).toBe("You and juliet@example.test are being added to each other's contacts.");
    await rosterStepsDone(app, "paris@example.test");
    await mutual(["juliet", "example.test"], ["paris", "example.test"]);
    expect((await app.invites.get(invite.id)).uses).toBe(1);
    expect(await told(juliet, /paris@example\.test accepted your contact invite/)).toBeTruthy();
    // Single use: the same link again is refused with the registry's words.
    expect(await refusal(execute(paris.session, "xmpp-invites#accept", { invite: token }))).toMatchObject({ condition: "forbidden", text: "The invite token is invalid or expired" });
    // Accounts of other servers cannot run it (the roster writer reaches this server only).
    expect(await refusal(execute(bob.session, "xmpp-invites#accept", { invite: token }))).toMatchObject({ condition: "forbidden" });
  });
});

describe("notices, welcome, limits and the invitation tree", () => {
  it("a registration tells the inviter and the watchers, and the new account is welcomed", async () => {
    const { token } = await app.invites.create({ type: "contact", inviter: "romeo@example.test", allowRegistration: true, note: "cousin" });
    expect((await redeemAnonymously(server, token, "tybalt", PW)).ok).toBe(true);
    expect(await told(romeo, /^tybalt@example\.test joined Example Chat with your invite .*cousin/)).toBeTruthy();
    expect(await told(watcher, /^New account on Example Chat: tybalt@example\.test, invited by romeo@example\.test/)).toBeTruthy();
    const tybalt = await online("tybalt");
    expect(await told(tybalt, /^Welcome tybalt to Example Chat, invited by romeo@example\.test!$/)).toBeTruthy();
  });

  it("an invite made from the CLI has no user behind it: the admins are told", async () => {
    const created = cli("invite", "create", "--json", "--note", "from the shell");
    expect(created.code).toBe(0);
    const { token } = JSON.parse(created.stdout) as { token: string };
    expect((await redeemAnonymously(server, token, "mercutio", PW)).ok).toBe(true);
    expect(await told(admin, /^mercutio@example\.test joined Example Chat with an invite .*from the shell/)).toBeTruthy();
  });

  it("limits: active invites per user, and a chain of accounts invited within the window; admins are exempt", async () => {
    // romeo already has invites in use above; fill up to the limit of 3 active.
    const active = async () => (await app.invites.list()).filter((invite) => invite.inviter === "romeo@example.test").length;
    while ((await active()) < 3) await execute(romeo.session, "urn:xmpp:invite#invite");
    expect(await refusal(execute(romeo.session, "urn:xmpp:invite#invite"))).toMatchObject({
      condition: "resource-constraint", type: "wait", text: "You have 3 invites that can still be used, the most allowed; wait until one is used or expires, or ask an admin to revoke one",
    });
    for (let i = 0; i < 4; i++) expect(uriOf(await execute(admin.session, "urn:xmpp:invite#invite"))).toContain(";ibr=y");

    // admin → rosaline (now) → benvolio (now): benvolio's invite would be the third link within 300 s.
    const first = uriOf(await execute(admin.session, "urn:xmpp:invite#create-account", { username: "rosaline" }));
    expect((await redeemAnonymously(server, tokenOf(first), "rosaline", PW)).ok).toBe(true);
    const rosaline = await online("rosaline");
    const second = uriOf(await execute(rosaline.session, "urn:xmpp:invite#invite"));
    expect((await redeemAnonymously(server, tokenOf(second), "benvolio", PW)).ok).toBe(true);
    const benvolio = await online("benvolio");
    expect(await refusal(execute(benvolio.session, "urn:xmpp:invite#invite"))).toMatchObject({
      condition: "policy-violation", type: "cancel", text: "Your account comes at the end of a chain of 2 invites made within 300 seconds; please try again later",
    });
  });

  it("who invited whom: the ad-hoc command, the CLI and the API show the same tree; a user's pending invites are revoked at once", async () => {
    const table = await execute(admin.session, "xmpp-invites#tree", { accountjid: "admin@example.test" });
    const rows = table.getChild("command", COMMANDS)?.getChild("x", "jabber:x:data")?.getChildren("item")
      .map((item) => item.getChildren("field").find((f) => f.attrs.var === "account")?.getChildText("value")) ?? [];
    expect(rows).toEqual(expect.arrayContaining(["admin@example.test", "  rosaline@example.test", "    benvolio@example.test"]));

    const text = cli("invite", "tree", "romeo@example.test");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^romeo@example\.test$/m);
    expect(text.stdout).toMatch(/^ {2}└ juliet@example\.test {2}accepted /m);
    expect(text.stdout).toMatch(/^ {2}└ tybalt@example\.test {2}joined .*"cousin"$/m);
    const json = JSON.parse(cli("invite", "tree", "--json").stdout) as { jid: string; invited: { jid: string; kind: string }[] }[];
    expect(json.find((node) => node.jid === "cli")?.invited).toEqual([expect.objectContaining({ jid: "mercutio@example.test", kind: "account" })]);

    const { secret } = await app.apiKeys.create("tests");
    const api = (path: string, method = "GET") => fetch(`${app.http.url()}/api/v1${path}`, { method, headers: { authorization: `Bearer ${secret}` } });
    const tree = (await (await api("/tree?jid=romeo@example.test")).json()) as { tree: { invited: { jid: string; note: string | null }[] }[] };
    expect(tree.tree[0]?.invited.map((node) => node.jid)).toEqual(expect.arrayContaining(["juliet@example.test", "bob@other.test", "tybalt@example.test"]));
    expect(tree.tree[0]?.invited.find((node) => node.jid === "bob@other.test")?.note).toBe("met at the fair");

    const pending = (await app.invites.list()).filter((invite) => invite.inviter === "romeo@example.test").map((invite) => invite.id).sort();
    expect(pending.length).toBeGreaterThan(0);
    const revoked = (await (await api("/invites?user=romeo@example.test", "DELETE")).json()) as { revoked: { id: string }[] };
    expect(revoked.revoked.map((invite) => invite.id).sort()).toEqual(pending);
    expect((await app.invites.list()).filter((invite) => invite.inviter === "romeo@example.test")).toEqual([]);
    // The limit is lifted with them: romeo may invite again.
    expect(uriOf(await execute(romeo.session, "urn:xmpp:invite#invite"))).toMatch(/^xmpp:romeo@/);
    expect(cli("invite", "revoke", "--user", "romeo@example.test").stdout).toMatch(/^Revoked 1 invite of romeo@example\.test: \w+\.$/m);
    expect(noteOf(await execute(admin.session, "xmpp-invites#revoke-user", { accountjid: "romeo@example.test" }))).toBe("romeo@example.test has no invites that could still be used");
  });
});

describe("XEP-0030 at the component", () => {
  it("advertises XEP-0401's urn:xmpp:invite and XEP-0445's urn:xmpp:ibr-token:0; XEP-0401 0.1.0's bare node name still runs", async () => {
    const info = await ask(juliet.session, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }), "get");
    const features = info.getChild("query")?.getChildren("feature").map((f) => f.attrs.var) ?? [];
    expect(features).toEqual(expect.arrayContaining(["urn:xmpp:invite", "urn:xmpp:ibr-token:0", "urn:xmpp:pars:0", "jabber:iq:register"]));
    expect(uriOf(await execute(juliet.session, "invite"))).toMatch(/^xmpp:juliet@example\.test\?roster;preauth=/);
  });
});
