// Every page and API status, in process (fastify inject), over the real registration core with a
// fake adapter.
import type { SqliteStores } from "../../src/adapters/store/sqlite/index.js";
import type { InjectOptions } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { FakeAdapter } from "../helpers/fake-adapter.js";
import { type Harness, createHarness } from "../helpers/xmpp-harness.js";

let h: Harness;
afterEach(() => h?.close());

const PUBLIC = "https://invite.example.test";
const setup = (config = {}) => (h = createHarness({ http: { public_url: PUBLIC, listen: "127.0.0.1:0" }, site_name: "Example Chat", ...config }));
const inject = (options: InjectOptions) => h.app.http.fastify.inject(options);
const accounts = () => (h.adapter as unknown as FakeAdapter).accounts;

function csrfOf(body: string): string {
  return /name="csrf" value="([^"]+)"/.exec(body)?.[1] ?? "";
}

/** The page a form's 303 leads to (POST, redirect, GET). */
async function followed(res: { statusCode: number; headers: Record<string, unknown> }, headers: Record<string, string> = {}) {
  expect(res.statusCode).toBe(303);
  return inject({ method: "GET", url: String(res.headers["location"]), headers });
}

async function postForm(token: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const page = await inject({ method: "GET", url: `/invite/${token}/register` });
  return inject({
    method: "POST",
    url: `/invite/${token}/register`,
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    payload: new URLSearchParams({ csrf: csrfOf(page.body), ...fields }).toString(),
  });
}

describe("GET /", () => {
  it("tells visitors without an invite how to get one (the target of the server's registration redirect)", async () => {
    setup();
    const res = await inject({ method: "GET", url: "/" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("Accounts on <span class=\"jid\">example.test</span> are created by invitation.");
  });
});

describe("landing page GET /invite/{token}", () => {
  it("with a working bridge: the xmpp: button first, badged apps, the web form link and a QR code; Link header on GET and HEAD", async () => {
    setup({ bridge: "prosody" });
    const { token, uri } = await h.app.invites.create();
    const res = await inject({ method: "GET", url: `/invite/${token}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.headers["link"]).toBe(`<${uri}>; rel="alternate"`);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.headers["referrer-policy"]).toBe("no-referrer");
    expect(res.headers["content-security-policy"]).toContain("default-src 'none'");
    expect(res.body).toContain("You have been invited to chat on Example Chat");
    expect(res.body).toContain(`href="${uri}"`);
    expect(res.body.indexOf(`<a class="button" href="${uri}">Open in your app</a>`)).toBeGreaterThan(0);
    expect(res.body.indexOf(`<a class="button" href="${uri}">`)).toBeLessThan(res.body.indexOf(`href="/invite/${token}/register"`));
    expect(res.body).toContain("opens invites directly");
    expect(res.body).toContain(`href="/invite/${token}/register"`);
    expect(res.body).toContain(`https://play.google.com/store/apps/details?id=eu.siacs.conversations&amp;referrer=${encodeURIComponent(uri)}`);
    for (const app of ["Conversations", "Monal", "Siskin IM", "Dino", "Gajim", "Movim"]) expect(res.body).toContain(app);
    expect(res.body).toMatch(/<svg[^>]*>/);
    expect(res.body).toContain('aria-label="QR code');
    const head = await inject({ method: "HEAD", url: `/invite/${token}` });
    expect(head.statusCode).toBe(200);
    expect(head.headers["link"]).toBe(`<${uri}>; rel="alternate"`);
    expect(head.body).toBe("");
  });

  it("without a bridge: browser registration first, then log in in the app; no app said to open the invite, no Link header", async () => {
    setup({ bridge: "none" });
    const { token, uri } = await h.app.invites.create();
    const res = await inject({ method: "GET", url: `/invite/${token}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers["link"]).toBeUndefined();
    expect(res.body).not.toContain("Open in your app");
    expect(res.body).not.toContain("opens invites directly");
    expect(res.body).not.toContain(uri);
    expect(res.body).toContain(`<a class="button" href="/invite/${token}/register">Create your account in the browser</a>`);
    expect(res.body).toContain("log in as <span class=\"jid\">yourname@example.test</span>");
    // Play Store links carry no referrer the app could not redeem.
    expect(res.body).toContain('href="https://play.google.com/store/apps/details?id=eu.siacs.conversations"');
  });

  it("without a bridge: a fixed-username invite links the JID to log in with; a reset invite says to log in again", async () => {
    setup({ bridge: "auto" });
    const fixed = await h.app.invites.create({ username: "juliet" });
    const res = await inject({ method: "GET", url: `/invite/${fixed.token}` });
    expect(res.body).toContain('log in as <a class="jid" href="xmpp:juliet@example.test">juliet@example.test</a>');
    accounts().set("alice", "old-password-123");
    const reset = await h.app.invites.create({ type: "reset", username: "alice" });
    const page = (await inject({ method: "GET", url: `/invite/${reset.token}` })).body;
    expect(page).toContain("Choose a new password in the browser");
    expect(page).toContain('log in as <a class="jid" href="xmpp:alice@example.test">alice@example.test</a> with the new password');
    expect(page).not.toContain("Open in your app");
  });

  it("without a bridge: a contact invite that may register also offers the plain contact link to people with an account", async () => {
    setup({ bridge: "none" });
    const { token, uri } = await h.app.invites.create({ type: "contact", inviter: "romeo@example.test", allowRegistration: true });
    const res = await inject({ method: "GET", url: `/invite/${token}` });
    expect(uri).toContain(";ibr=y");
    expect(res.body).toContain(`href="${uri.replace(";ibr=y", "")}">Add <span class="jid">romeo@example.test</span> in your app</a> instead.`);
    expect(res.body).not.toContain("accepted at once");
    expect(res.body).toContain("Create your account in the browser");
  });

  it("people with an account: with the bridge the contact request is accepted at once, without it the inviter approves", async () => {
    setup({ bridge: "prosody" });
    const withBridge = await h.app.invites.create({ type: "contact", inviter: "romeo@example.test", allowRegistration: true });
    const accepted = (await inject({ method: "GET", url: `/invite/${withBridge.token}` })).body;
    expect(accepted).toContain(`Already have an XMPP account, here or on another server? <a href="${withBridge.uri.replace(";ibr=y", "")}">Open this invitation in your app</a>`);
    expect(accepted).toContain("the request is accepted at once");
    setup({ bridge: "none" });
    const without = await h.app.invites.create({ type: "contact", inviter: "romeo@example.test", allowRegistration: true });
    const manual = (await inject({ method: "GET", url: `/invite/${without.token}` })).body;
    expect(manual).toContain(`Already have an XMPP account? <a href="${without.uri.replace(";ibr=y", "")}">Add`);
    expect(manual).not.toContain("accepted at once");
  });

  it("a contact invite for an existing account keeps its xmpp:inviter?roster;preauth= link first, bridge or not", async () => {
    setup({ bridge: "none" });
    const { token, uri } = await h.app.invites.create({ type: "contact", inviter: "romeo@example.test" });
    const res = await inject({ method: "GET", url: `/invite/${token}` });
    expect(res.body).toContain(`<a class="button" href="${uri}">Open in your app</a>`);
    expect(res.headers["link"]).toBe(`<${uri}>; rel="alternate"`);
    expect(res.body).not.toContain("opens invites directly");
  });

  it("a contact invite names the inviter; without ibr=y it offers no web registration", async () => {
    setup();
    const { token } = await h.app.invites.create({ type: "contact", inviter: "romeo@example.test" });
    const res = await inject({ method: "GET", url: `/invite/${token}` });
    expect(res.body).toContain("romeo@example.test</span> invites you to chat on Example Chat");
    expect(res.body).not.toContain("/register");
    expect((await inject({ method: "GET", url: `/invite/${token}/register` })).statusCode).toBe(404);
  });

  it("unknown, expired, revoked and used invites all get the same 404 page", async () => {
    setup();
    const expired = await h.app.invites.create({ expiresIn: 60 });
    const revoked = await h.app.invites.create();
    await h.app.invites.revoke(revoked.invite.id);
    const used = await h.app.invites.create();
    await postForm(used.token, { username: "first", password: "0987654321!?", confirm: "0987654321!?" });
    h.clock.advance(61_000);
    const bodies = new Set<string>();
    for (const token of ["AAAAAAAAAAAAAAAAAAAAAAAA", "not-even-a-token", expired.token, revoked.token, used.token]) {
      const res = await inject({ method: "GET", url: `/invite/${token}` });
      expect(res.statusCode).toBe(404);
      expect(res.headers["link"]).toBeUndefined();
      bodies.add(res.body);
    }
    expect(bodies.size).toBe(1);
    expect([...bodies][0]).toContain("This invite is not valid");
  });
});

describe("web registration /invite/{token}/register", () => {
  it("the form shows the domain, keeps no cache, and carries a CSRF field", async () => {
    setup();
    const { token } = await h.app.invites.create();
    const res = await inject({ method: "GET", url: `/invite/${token}/register` });
    expect(res.statusCode).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.body).toContain("@example.test");
    expect(res.body).toMatch(/<label for="username">Username<\/label>/);
    expect(res.body).toMatch(/<label for="password">Password<\/label>/);
    expect(res.body).toMatch(/<label for="confirm">Repeat the password<\/label>/);
    expect(csrfOf(res.body)).not.toBe("");
  });

  it("creates the account and shows the JID, never the password", async () => {
    setup({ webchat_url: "https://chat.example.test/" });
    const { invite, token } = await h.app.invites.create();
    const posted = await postForm(token, { username: "Alice", password: "9876543210!x", confirm: "9876543210!x" });
    expect(posted.headers["cache-control"]).toBe("no-store");
    const res = await followed(posted);
    expect(res.statusCode).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(posted.headers["location"]).not.toContain("9876543210");
    expect(res.body).toContain("alice@example.test");
    expect(res.body).toContain('href="https://chat.example.test/"');
    expect(res.body).not.toContain("9876543210!x");
    expect(accounts().get("alice")).toBe("9876543210!x");
    expect((await h.app.invites.get(invite.id)).uses).toBe(1);
  });

  it.each([
    ["mismatched confirmation", { username: "bob", password: "9876543210!x", confirm: "other-password" }, 422, "The passwords do not match"],
    ["a bad username", { username: "bo b", password: "9876543210!x", confirm: "9876543210!x" }, 422, "The requested username is invalid."],
    ["a short password", { username: "bob", password: "short", confirm: "short" }, 422, "Password is too short (minimum 10 characters)"],
    ["the username in the password", { username: "bob", password: "i-am-bob-12345", confirm: "i-am-bob-12345" }, 422, "Password must not include your username"],
    ["missing fields", { username: "", password: "", confirm: "" }, 422, "Enter a username."],
  ])("shows %s inline, keeps the username, drops the passwords", async (_what, fields, status, message) => {
    setup();
    const { token } = await h.app.invites.create();
    const res = await postForm(token, fields);
    expect(res.statusCode).toBe(status);
    expect(res.body).toContain(message);
    if (fields.username) expect(res.body).toContain(`value="${fields.username}"`);
    if (fields.password) expect(res.body).not.toContain(`value="${fields.password}"`);
    expect(accounts().size).toBe(0);
  });

  it("a taken username: 409 with the XEP-0077 text, and the invite stays usable", async () => {
    setup();
    accounts().set("carol", "x");
    const { invite, token } = await h.app.invites.create();
    const res = await postForm(token, { username: "carol", password: "9876543210!x", confirm: "9876543210!x" });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain("The requested username already exists.");
    expect(await h.app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
  });

  it("a fixed-username invite registers its own name whatever is posted", async () => {
    setup();
    const { token } = await h.app.invites.create({ username: "zoe" });
    const page = await inject({ method: "GET", url: `/invite/${token}/register` });
    expect(page.body).toMatch(/value="zoe"[^>]*readonly/);
    await postForm(token, { username: "yann", password: "9876543210!x", confirm: "9876543210!x" });
    expect([...accounts().keys()]).toEqual(["zoe"]);
  });

  it("a reset invite gets a form for its one account and changes its password", async () => {
    setup();
    accounts().set("alice", "old-password-123");
    const { token } = await h.app.invites.create({ type: "reset", username: "alice" });
    expect((await inject({ method: "GET", url: `/invite/${token}` })).body).toContain("Choose a new password in the browser");
    const res = await followed(await postForm(token, { password: "new-password-456", confirm: "new-password-456" }));
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("Your password has been changed");
    expect(accounts()).toEqual(new Map([["alice", "new-password-456"]]));
  });

  it("refuses a post without the CSRF field, or from another site", async () => {
    setup();
    const { token } = await h.app.invites.create();
    const noCsrf = await inject({
      method: "POST", url: `/invite/${token}/register`, headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: "username=eve&password=9876543210!x&confirm=9876543210!x",
    });
    expect(noCsrf.statusCode).toBe(403);
    expect((await postForm(token, { username: "eve", password: "9876543210!x", confirm: "9876543210!x" }, { "sec-fetch-site": "cross-site" })).statusCode).toBe(403);
    expect((await postForm(token, { username: "eve", password: "9876543210!x", confirm: "9876543210!x" }, { origin: "https://evil.example" })).statusCode).toBe(403);
    expect(accounts().size).toBe(0);
  });

  it("rate-limits posts per client address: only attempts that reach the registration core count; the 429 says the real wait", async () => {
    setup({ http: { listen: "127.0.0.1:0", rate_limit: { max: 3, window: 600 } } });
    accounts().set("taken", "x");
    const { token } = await h.app.invites.create({ maxUses: 10 });
    // Typing errors the form finds itself, as many as anyone makes: none of them counts.
    const typos = [];
    for (let i = 0; i < 6; i++) typos.push((await postForm(token, { username: "x y", password: "short", confirm: "other" })).statusCode);
    expect(typos).toEqual([422, 422, 422, 422, 422, 422]);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await postForm(token, { username: "taken", password: "9876543210!x", confirm: "9876543210!x" })).statusCode);
    expect(statuses).toEqual([409, 409, 409, 429, 429]);
    h.clock.advance(120_000);
    const limited = await postForm(token, { username: "taken", password: "9876543210!x", confirm: "9876543210!x" });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["retry-after"]).toBe("480");
    expect(limited.body).toContain("Please try again in 8 minutes.");
    const german = await postForm(token, { username: "taken", password: "9876543210!x", confirm: "9876543210!x" }, { cookie: "lang=de" });
    expect(german.body).toContain("Bitte versuche es in 8 Minuten erneut.");
    h.clock.advance(481_000);
    expect((await postForm(token, { username: "ok", password: "9876543210!x", confirm: "9876543210!x" })).statusCode).toBe(303);
  });
});

describe("one rate limit for the web form and the API", () => {
  it("attempts at either door count against the same per-address limit", async () => {
    setup({ http: { listen: "127.0.0.1:0", rate_limit: { max: 4, window: 60 } } });
    const { token } = await h.app.invites.create({ maxUses: 10 });
    accounts().set("taken", "x");
    const api = () => inject({ method: "POST", url: "/api/v1/registrations", payload: { token, username: "taken", password: "9876543210!x" } });
    const web = () => postForm(token, { username: "taken", password: "9876543210!x", confirm: "9876543210!x" });
    // A body the API cannot read never reaches the core: not counted.
    expect((await inject({ method: "POST", url: "/api/v1/registrations", payload: { token } })).statusCode).toBe(422);
    const statuses = [(await web()).statusCode, (await api()).statusCode, (await web()).statusCode, (await api()).statusCode, (await api()).statusCode, (await web()).statusCode];
    // Four attempts in all are allowed; the fifth and sixth are refused, at whichever door.
    expect(statuses).toEqual([409, 409, 409, 409, 429, 429]);
    const refused = await api();
    expect(refused.headers["retry-after"]).toBe("60");
    expect(refused.json()).toMatchObject({ error: { code: "rate-limited" } });
    h.clock.advance(61_000);
    expect((await api()).statusCode).toBe(409);
  });
});

describe("hostile input", () => {
  it("escapes markup in usernames, site names and notes everywhere", async () => {
    setup({ site_name: "<b>Site</b>" });
    const { invite, token } = await h.app.invites.create({ note: "<script>alert(1)</script>" });
    const landing = await inject({ method: "GET", url: `/invite/${token}` });
    expect(landing.body).not.toContain("<b>Site</b>");
    expect(landing.body).toContain("&lt;b&gt;Site&lt;/b&gt;");
    const res = await postForm(token, { username: "<script>alert(1)</script>", password: "9876543210!x", confirm: "9876543210!x" });
    expect(res.body).not.toContain("<script>");
    expect(res.body).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    const key = (await h.app.apiKeys.create("t")).secret;
    const api = await inject({ method: "GET", url: `/api/v1/invites/${invite.id}`, headers: { authorization: `Bearer ${key}` } });
    expect(api.headers["content-type"]).toMatch(/^application\/json/);
    expect(api.json()).toMatchObject({ note: "<script>alert(1)</script>" });
  });

  it("XML 1.0 §2.2: a form field XML cannot carry gets the field's own error (400); nothing is claimed", async () => {
    setup();
    const { invite, token } = await h.app.invites.create();
    const cases: Array<[Record<string, string>, string]> = [
      [{ username: "bo\u0001b", password: "9876543210!x", confirm: "9876543210!x" }, "username"],
      [{ username: "bob", password: "9876543210\uFFFF", confirm: "9876543210\uFFFF" }, "password"],
      [{ username: "bob", password: "9876543210!x", confirm: "9876543210\u0001" }, "confirm"],
    ];
    for (const [fields, field] of cases) {
      const res = await postForm(token, fields);
      expect(res.statusCode).toBe(400);
      expect(res.body).toMatch(new RegExp(`id="${field}-error"[^>]*>This contains characters that are not allowed`));
      expect(res.body).not.toMatch(/[\u0001\uFFFF]/);
    }
    expect(accounts().size).toBe(0);
    expect(await h.app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    const de = await postForm(token, { username: "bob", password: "9876543210\uFFFF", confirm: "9876543210\uFFFF" }, { "accept-language": "de" });
    expect(de.body).toContain("Dies enthält unzulässige Zeichen");
  });

  it("XML 1.0 §2.2: the API refuses a string XML cannot carry anywhere in a request with 400 invalid-characters, naming it; nothing is claimed", async () => {
    setup();
    const { secret } = await h.app.apiKeys.create("portal");
    const auth = { authorization: `Bearer ${secret}` };
    const { invite, token } = await h.app.invites.create();
    const refused = async (options: InjectOptions) => {
      const res = await inject(options);
      expect(res.statusCode).toBe(400);
      const { code, message } = res.json().error as { code: string; message: string };
      expect(code).toBe("invalid-characters");
      expect(message).not.toMatch(/[\u0001\uFFFF\uD800]/);
      return message.slice(0, message.indexOf(":"));
    };
    expect(await refused({ method: "POST", url: "/api/v1/registrations", payload: { token, username: "dan", password: "9876543210\uFFFF" } })).toBe("password");
    expect(await refused({ method: "POST", url: "/api/v1/registrations", payload: { token, username: "d\uD800an", password: "9876543210!x" } })).toBe("username");
    expect(await refused({ method: "POST", url: "/api/v1/invites", headers: auth, payload: { note: "for\u0001dan" } })).toBe("note");
    expect(await refused({ method: "POST", url: "/api/v1/invites", headers: auth, payload: { type: "contact", inviter: "alice@example.test", groups: ["Friends", "Fam\uFFFEily"] } })).toBe("groups.1");
    expect(await refused({ method: "DELETE", url: "/api/v1/invites?user=alice%01@example.test", headers: auth })).toBe("query.user");
    expect(await h.app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    expect(accounts().size).toBe(0);
    expect(await h.app.invites.list()).toHaveLength(1);
  });

  it("refuses oversized bodies with 413", async () => {
    setup();
    const { token } = await h.app.invites.create();
    const res = await inject({ method: "POST", url: `/invite/${token}/register`, headers: { "content-type": "application/x-www-form-urlencoded" }, payload: `username=${"a".repeat(20_000)}` });
    expect(res.statusCode).toBe(413);
  });

  it.each([
    ["PUT", "/invite/TOKEN", "GET, HEAD"],
    ["DELETE", "/invite/TOKEN/register", "GET, POST, HEAD"],
    ["POST", "/healthz", "GET, HEAD"],
    ["PATCH", "/api/v1/invites", "GET, POST, DELETE, HEAD"],
    ["PUT", "/api/v1/invites/abc", "GET, DELETE, HEAD"],
    ["GET", "/api/v1/registrations", "POST"],
  ])("%s %s is 405 with Allow", async (method, url, allow) => {
    setup();
    const res = await inject({ method: method as InjectOptions["method"] & string, url });
    expect(res.statusCode).toBe(405);
    expect(res.headers["allow"]).toBe(allow);
  });
});

describe("HTTP API /api/v1", () => {
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

  it("401 without a key or with a bad or revoked one", async () => {
    setup();
    expect((await inject({ method: "GET", url: "/api/v1/invites" })).statusCode).toBe(401);
    expect((await inject({ method: "GET", url: "/api/v1/invites", headers: bearer("xi_abcdefgh_AAAAAAAAAAAAAAAAAAAAAAAA") })).statusCode).toBe(401);
    const { key, secret } = await h.app.apiKeys.create("old");
    // The right id with a wrong secret: the id alone is not a credential.
    const wrongSecret = `xi_${key.id}_${"B".repeat(24)}`;
    expect(await h.app.apiKeys.verify(secret)).toBeDefined();
    expect((await inject({ method: "GET", url: "/api/v1/invites", headers: bearer(wrongSecret) })).statusCode).toBe(401);
    expect((await inject({ method: "GET", url: "/api/v1/invites", headers: bearer(secret) })).statusCode).toBe(200);
    await h.app.apiKeys.revoke(key.id);
    const res = await inject({ method: "GET", url: "/api/v1/invites", headers: bearer(secret) });
    expect(res.statusCode).toBe(401);
    expect(res.headers["www-authenticate"]).toContain("Bearer");
    expect(res.json()).toEqual({ error: { code: "unauthorized", message: "A valid API key is needed (Authorization: Bearer …)" } });
  });

  it("POST creates each type: 201 with token, uri, landing_url and expires", async () => {
    setup();
    const { secret } = await h.app.apiKeys.create("portal");
    const res = await inject({ method: "POST", url: "/api/v1/invites", headers: bearer(secret), payload: { type: "account", expires: "2d", uses: 3, note: "api" } });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ type: "account", max_uses: 3, note: "api", uri: `xmpp:example.test?register;preauth=${body.token}`, landing_url: `${PUBLIC}/invite/${body.token}` });
    expect(res.headers["location"]).toBe(`/api/v1/invites/${body.id}`);
    expect((await h.app.invites.get(body.id)).source).toMatch(/^api:/);
    const contact = await inject({ method: "POST", url: "/api/v1/invites", headers: bearer(secret), payload: { type: "contact", inviter: "romeo@example.test", allow_registration: true } });
    expect(contact.json().uri).toMatch(/;ibr=y$/);
    const reset = await inject({ method: "POST", url: "/api/v1/invites", headers: bearer(secret), payload: { type: "reset", username: "alice" } });
    expect(reset.json()).toMatchObject({ type: "reset", username: "alice" });
  });

  it("422 for invalid bodies, with the registry's code", async () => {
    setup();
    const { secret } = await h.app.apiKeys.create("portal");
    const unknownKey = await inject({ method: "POST", url: "/api/v1/invites", headers: bearer(secret), payload: { type: "account", colour: "red" } });
    expect(unknownKey.statusCode).toBe(422);
    expect(unknownKey.json().error.code).toBe("invalid-argument");
    const noInviter = await inject({ method: "POST", url: "/api/v1/invites", headers: bearer(secret), payload: { type: "contact" } });
    expect(noInviter.statusCode).toBe(422);
    expect(noInviter.json().error.message).toMatch(/needs the inviter/);
    const badJson = await inject({ method: "POST", url: "/api/v1/invites", headers: { ...bearer(secret), "content-type": "application/json" }, payload: "{nope" });
    expect(badJson.statusCode).toBe(400);
  });

  it("GET lists and shows (no tokens); DELETE revokes, then 409; unknown ids 404", async () => {
    setup();
    const { secret } = await h.app.apiKeys.create("portal");
    const { invite, token } = await h.app.invites.create();
    const list = await inject({ method: "GET", url: "/api/v1/invites", headers: bearer(secret) });
    expect(list.json().invites.map((i: { id: string }) => i.id)).toEqual([invite.id]);
    expect(list.body).not.toContain(token);
    expect((await inject({ method: "GET", url: `/api/v1/invites/${invite.id}`, headers: bearer(secret) })).json()).toMatchObject({ id: invite.id, status: "active" });
    const del = await inject({ method: "DELETE", url: `/api/v1/invites/${invite.id}`, headers: bearer(secret) });
    expect(del.statusCode).toBe(200);
    expect(del.json().status).toBe("revoked");
    const again = await inject({ method: "DELETE", url: `/api/v1/invites/${invite.id}`, headers: bearer(secret) });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe("already-revoked");
    expect((await inject({ method: "GET", url: "/api/v1/invites/nosuchid", headers: bearer(secret) })).statusCode).toBe(404);
  });

  it("a read-only key may read but not write (403)", async () => {
    setup();
    const { secret } = await h.app.apiKeys.create("dashboard", { readOnly: true });
    expect((await inject({ method: "GET", url: "/api/v1/invites", headers: bearer(secret) })).statusCode).toBe(200);
    const post = await inject({ method: "POST", url: "/api/v1/invites", headers: bearer(secret), payload: {} });
    expect(post.statusCode).toBe(403);
    expect(post.json().error.code).toBe("read-only-key");
    const { invite } = await h.app.invites.create();
    const del = await inject({ method: "DELETE", url: `/api/v1/invites/${invite.id}`, headers: bearer(secret) });
    expect(del.statusCode).toBe(403);
    expect(del.json().error.code).toBe("read-only-key");
    expect((await h.app.invites.get(invite.id)).revokedAt).toBeNull();
  });

  it("POST /registrations redeems a token (201, 404, 409, 422)", async () => {
    setup();
    const { token } = await h.app.invites.create({ maxUses: 5 });
    const ok = await inject({ method: "POST", url: "/api/v1/registrations", payload: { token, username: "dan", password: "9876543210!x" } });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toEqual({ jid: "dan@example.test", action: "created" });
    expect((await inject({ method: "POST", url: "/api/v1/registrations", payload: { token: "A".repeat(24), username: "nobody", password: "9876543210!x" } })).statusCode).toBe(404);
    expect((await inject({ method: "POST", url: "/api/v1/registrations", payload: { token, username: "dan", password: "9876543210!x" } })).statusCode).toBe(409);
    expect((await inject({ method: "POST", url: "/api/v1/registrations", payload: { token, username: "eve", password: "short" } })).statusCode).toBe(422);
  });

  it("serves its OpenAPI document", async () => {
    setup();
    const res = await inject({ method: "GET", url: "/api/v1/openapi.json" });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(["/invites", "/tree", "/invites/{id}", "/requests", "/requests/{id}", "/requests/{id}/approve", "/requests/{id}/deny", "/registrations"]);
    expect(doc.servers[0].url).toBe(`${PUBLIC}/api/v1`);
  });
});

describe("operations", () => {
  it("GET /healthz: 200 when connected and writable, 503 when the component is down", async () => {
    setup();
    const ok = await inject({ method: "GET", url: "/healthz" });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ status: "ok", component: "connected", database: "writable" });
    h.app.connection.xmpp.status = "disconnect";
    const down = await inject({ method: "GET", url: "/healthz" });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ status: "unavailable", component: "disconnected" });
  });

  it("GET /healthz: 503 with database failing when the database cannot take a write", async () => {
    setup();
    // The connection refuses every write, as on a read-only file system.
    (h.app.stores as SqliteStores).db.pragma("query_only = ON");
    try {
      const res = await inject({ method: "GET", url: "/healthz" });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: "unavailable", component: "connected", database: "failing" });
    } finally {
      (h.app.stores as SqliteStores).db.pragma("query_only = OFF");
    }
    expect((await inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
  });

  it("GET /metrics counts invites, redemptions by door, refusals by reason, adapter latency and the connection", async () => {
    setup();
    const { token } = await h.app.invites.create();
    expect((await postForm(token, { username: "mia", password: "9876543210!x", confirm: "9876543210!x" })).statusCode).toBe(303);
    // Refusals that reach the registration core, each with its reason, at the API door.
    const register = (payload: Record<string, string>) => inject({ method: "POST", url: "/api/v1/registrations", payload });
    expect((await register({ token, username: "max", password: "9876543210!x" })).statusCode).toBe(404);
    expect((await register({ token: "A".repeat(24), username: "max", password: "9876543210!x" })).statusCode).toBe(404);
    const spare = (await h.app.invites.create({ maxUses: 5 })).token;
    expect((await register({ token: spare, username: "mia", password: "9876543210!x" })).statusCode).toBe(409);
    expect((await register({ token: spare, username: "max", password: "short" })).statusCode).toBe(422);
    const res = await inject({ method: "GET", url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(res.body).toContain('xmpp_invites_invites{kind="account",status="used"} 1');
    expect(res.body).toContain('xmpp_invites_invites{kind="account",status="active"} 1');
    expect(res.body).toContain('xmpp_invites_registrations_total{door="web",action="created"} 1');
    expect(res.body).toContain("xmpp_invites_claims_pending 0");
    expect(res.body).toContain('xmpp_invites_redemptions_refused_total{reason="token-used",door="api"} 1');
    expect(res.body).toContain('xmpp_invites_redemptions_refused_total{reason="token-unknown",door="api"} 1');
    expect(res.body).toContain('xmpp_invites_redemptions_refused_total{reason="username-taken",door="api"} 1');
    expect(res.body).toContain('xmpp_invites_redemptions_refused_total{reason="password-too-short",door="api"} 1');
    expect(res.body).toMatch(/xmpp_invites_adapter_call_duration_seconds_count\{operation="create_account",outcome="ok"\} 1/);
    expect(res.body).toContain("xmpp_invites_component_connected 1");
  });
});
