// The web door for everyone, in process (fastify inject) over the real registration core with a
// fake adapter: languages, installs that come back, account requests decided by admins, consent.
import type { InjectOptions } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import type { SqliteStores } from "../../src/adapters/store/sqlite/index.js";
import { FakeAdapter } from "../helpers/fake-adapter.js";
import { type Harness, createHarness } from "../helpers/xmpp-harness.js";
import { stanza } from "../helpers/xml.js";

let h: Harness;
/** The harness runs on SQLite: its file, for what only the schema shows. */
const db = () => (h.app.stores as SqliteStores).db;
afterEach(() => h?.close());

const PUBLIC = "https://invite.example.test";
const ADMIN = "admin@example.test/laptop";
const ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";
const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

const setup = (config = {}) => (h = createHarness({ http: { public_url: PUBLIC, listen: "127.0.0.1:0" }, site_name: "Example Chat", admins: ["admin@example.test"], ...config }));
const inject = (options: InjectOptions) => h.app.http.fastify.inject(options);
const accounts = () => (h.adapter as unknown as FakeAdapter).accounts;
const csrfOf = (body: string) => /name="csrf" value="([^"]+)"/.exec(body)?.[1] ?? "";
const htmlTag = (body: string) => /<html [^>]*>/.exec(body)?.[0];

async function post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}, formUrl = url) {
  const page = await inject({ method: "GET", url: formUrl, headers });
  return inject({
    method: "POST",
    url,
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    payload: new URLSearchParams({ csrf: csrfOf(page.body), ...fields }).toString(),
  });
}

describe("languages", () => {
  it("?lang= picks the language, sets the cookie, and says so in <html lang dir>, Content-Language and Vary", async () => {
    setup();
    const res = await inject({ method: "GET", url: "/?lang=de" });
    expect(htmlTag(res.body)).toBe('<html lang="de" dir="ltr">');
    expect(res.body).toContain("<h1>Example Chat beitreten</h1>");
    expect(res.headers["set-cookie"]).toBe("lang=de; Path=/; Max-Age=31536000; SameSite=Lax");
    expect(res.headers["content-language"]).toBe("de");
    expect(res.headers["vary"]).toBe("Accept-Language, Cookie");
    const again = await inject({ method: "GET", url: "/", headers: { cookie: "lang=de", "accept-language": "fr" } });
    expect(htmlTag(again.body)).toBe('<html lang="de" dir="ltr">');
    expect(again.headers["set-cookie"]).toBeUndefined();
  });

  it("a right-to-left language gets dir=rtl (Arabic, from the cookie)", async () => {
    setup();
    const { token } = await h.app.invites.create();
    const res = await inject({ method: "GET", url: `/invite/${token}`, headers: { cookie: "lang=ar" } });
    expect(htmlTag(res.body)).toBe('<html lang="ar" dir="rtl">');
    expect(res.body).toContain("دُعيت إلى الدردشة على Example Chat");
  });

  it("Accept-Language with q-values and fallbacks (pt-BR → pt), else default_language", async () => {
    setup();
    const pt = await inject({ method: "GET", url: "/", headers: { "accept-language": "sw, pt-BR;q=0.9, en;q=0.5" } });
    expect(htmlTag(pt.body)).toBe('<html lang="pt" dir="ltr">');
    const zh = await inject({ method: "GET", url: "/", headers: { "accept-language": "zh-CN,zh;q=0.9" } });
    expect(htmlTag(zh.body)).toBe('<html lang="zh-Hans" dir="ltr">');
    h.close();
    setup({ default_language: "fr" });
    const fr = await inject({ method: "GET", url: "/", headers: { "accept-language": "sw" } });
    expect(htmlTag(fr.body)).toBe('<html lang="fr" dir="ltr">');
    expect(fr.body).toContain("Rejoindre Example Chat");
  });

  it("a default_language without a catalogue is refused at start", () => {
    expect(() => setup({ default_language: "xx" })).toThrow('default_language: no catalogue for "xx"');
  });

  it("every page carries the picker: plain links, one per language, each named in itself", async () => {
    setup();
    const res = await inject({ method: "GET", url: "/?lang=uk" });
    expect(res.body).toContain('<nav id="languages" aria-label="Мови">');
    expect(res.body).toContain('<a href="?lang=ar" lang="ar" hreflang="ar" dir="rtl">العربية</a>');
    expect(res.body).toContain('<a href="?lang=uk" lang="uk" hreflang="uk" dir="ltr" aria-current="true">Українська</a>');
    expect(res.body.match(/hreflang="/g)).toHaveLength(14);
  });

  it("web error texts come from the catalogue by the registry's code; the form keeps the language", async () => {
    setup();
    const { token } = await h.app.invites.create();
    const headers = { cookie: "lang=de" };
    const res = await post(`/invite/${token}/register`, { username: "juliet", password: "kurz", confirm: "kurz" }, headers);
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain("Das Passwort ist zu kurz (mindestens 10 Zeichen).");
    const taken = (accounts().set("romeo", "x"), await post(`/invite/${token}/register`, { username: "romeo", password: "lange-geheime-phrase", confirm: "lange-geheime-phrase" }, { cookie: "lang=ru" }));
    expect(taken.statusCode).toBe(409);
    expect(taken.body).toContain("Такое имя пользователя уже существует.");
  });

  it("the favicon is served, so no page load logs a 404", async () => {
    setup();
    for (const url of ["/favicon.ico", "/favicon.svg"]) {
      const res = await inject({ method: "GET", url });
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toBe("image/svg+xml");
      expect(res.headers["cache-control"]).toBe("public, max-age=86400");
      expect(res.body).toMatch(/^<svg /);
    }
  });

  it("the stylesheet the pages link is served from its file, cacheable", async () => {
    setup();
    const page = await inject({ method: "GET", url: "/" });
    expect(page.body).toContain('<link rel="stylesheet" href="/static/style.css">');
    const res = await inject({ method: "GET", url: "/static/style.css" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/css; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("public, max-age=3600");
    expect(res.body).toContain("margin-inline-start");
  });
});

describe("installs that come back", () => {
  it("with a working bridge: install (step 1), come back and open (step 2), the raw link to copy", async () => {
    setup({ bridge: "prosody" });
    const { token, uri } = await h.app.invites.create();
    const res = await inject({ method: "GET", url: `/invite/${token}`, headers: { "user-agent": ANDROID } });
    const body = res.body;
    expect(body).toContain("Step 1: install an XMPP app");
    expect(body).toContain("After installing, come back to this page: the link keeps working.");
    expect(body.indexOf("Step 1")).toBeLessThan(body.indexOf("Step 2: open the invitation in the app"));
    expect(body).toContain(`<input type="text" class="copy" id="invite-link" value="${uri.replace(/&/g, "&amp;")}" readonly`);
    expect(body).toContain('<label for="invite-link">Invitation link for the app</label>');
  });

  it("on a phone its platform's apps come first and the QR code goes last; on a computer the QR code comes first", async () => {
    setup({ bridge: "prosody" });
    const { token } = await h.app.invites.create();
    const page = async (ua: string) => (await inject({ method: "GET", url: `/invite/${token}`, headers: { "user-agent": ua } })).body;
    const android = await page(ANDROID);
    expect(android.indexOf("<h3>Android (this device)</h3>")).toBeGreaterThan(0);
    expect(android.indexOf("Android (this device)")).toBeLessThan(android.indexOf("<h3>iOS</h3>"));
    expect(android.indexOf('id="qr-title">On another device?')).toBeGreaterThan(android.indexOf("Step 2"));
    const iphone = await page(IPHONE);
    expect(iphone.indexOf("<h3>iOS (this device)</h3>")).toBeLessThan(iphone.indexOf("<h3>Android</h3>"));
    const desktop = await page(DESKTOP);
    expect(desktop).not.toContain("(this device)");
    expect(desktop.indexOf('id="qr-title">Continue on your phone')).toBeLessThan(desktop.indexOf("Step 1"));
    expect(desktop.indexOf("<h3>Android</h3>")).toBeLessThan(desktop.indexOf("<h3>iOS</h3>"));
  });

  it("apps in config: built-in ids and apps of one's own, in that order; the others hidden", async () => {
    setup({ bridge: "prosody", apps: ["monal", { id: "ourchat", name: "Our Chat", platforms: ["Android"], supports_preauth: true, links: [{ url: "https://chat.example.test/get", label: "Download" }] }, "conversations"] });
    const { token } = await h.app.invites.create();
    const body = (await inject({ method: "GET", url: `/invite/${token}`, headers: { "user-agent": ANDROID } })).body;
    expect(body).toContain('<a href="https://chat.example.test/get" rel="noreferrer">Download</a>');
    expect(body.indexOf("Our Chat")).toBeLessThan(body.indexOf("Conversations"));
    for (const hidden of ["Siskin IM", "Gajim", "Dino", "Movim", "Cheogram"]) expect(body).not.toContain(hidden);
    h.close();
    expect(() => setup({ apps: ["nosuchapp"] })).toThrow('apps: no built-in app "nosuchapp"');
  });
});

describe("terms and privacy", () => {
  it("the form requires consent when terms_url or privacy_url is set; the time is kept with the redemption", async () => {
    setup({ terms_url: "https://example.test/terms", privacy_url: "https://example.test/privacy" });
    const { token } = await h.app.invites.create();
    const form = await inject({ method: "GET", url: `/invite/${token}/register` });
    expect(form.body).toContain('<input type="checkbox" id="consent" name="consent" value="yes" required');
    expect(form.body).toContain('<a href="https://example.test/terms">terms of service</a>');
    expect(form.body).toContain('<a href="https://example.test/privacy">privacy policy</a>');
    const refused = await post(`/invite/${token}/register`, { username: "juliet", password: "balcony-at-midnight", confirm: "balcony-at-midnight" });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain("Please accept to continue.");
    expect(accounts().has("juliet")).toBe(false);
    h.clock.advance(5000);
    const ok = await post(`/invite/${token}/register`, { username: "juliet", password: "balcony-at-midnight", confirm: "balcony-at-midnight", consent: "yes" });
    expect(ok.statusCode).toBe(303);
    const row = db().prepare("SELECT jid, consent_at FROM redemptions").get() as { jid: string; consent_at: number };
    expect(row).toEqual({ jid: "juliet@example.test", consent_at: h.clock.now() });
  });

  it("without terms or privacy links no consent is asked or recorded", async () => {
    setup();
    const { token } = await h.app.invites.create();
    expect((await inject({ method: "GET", url: `/invite/${token}/register` })).body).not.toContain('name="consent"');
    expect((await post(`/invite/${token}/register`, { username: "juliet", password: "balcony-at-midnight", confirm: "balcony-at-midnight" })).statusCode).toBe(303);
    expect(db().prepare("SELECT consent_at FROM redemptions").get()).toEqual({ consent_at: null });
  });
});

describe("requests for an account", () => {
  const enabled = { registration_requests: { enabled: true } };
  const submit = (fields: Record<string, string>, headers: Record<string, string> = {}) => post("/request", fields, headers, "/");
  const statusPath = (location: unknown) => String(location).replace(/\?sent=1$/, "");

  it("off by default: no form on the front page, and POST /request is 404", async () => {
    setup();
    expect((await inject({ method: "GET", url: "/" })).body).not.toContain('action="/request"');
    expect((await inject({ method: "POST", url: "/request", headers: { "content-type": "application/x-www-form-urlencoded" }, payload: "username=x" })).statusCode).toBe(404);
  });

  it("request → private status link → admins told over XMPP → approved → the link is the form for that name → account; nothing about a password stored before", async () => {
    setup(enabled);
    const home = await inject({ method: "GET", url: "/" });
    expect(home.body).toContain('<form method="post" action="/request" aria-labelledby="request-title" novalidate>');
    const sent = await submit({ username: "Juliet", message: "Romeo's friend" });
    expect(sent.statusCode).toBe(303);
    expect(sent.headers["location"]).toMatch(/^\/request\/[A-Za-z0-9]{24}\?sent=1$/);
    const link = statusPath(sent.headers["location"]);

    const notice = await h.nextSent();
    expect(notice.name).toBe("message");
    expect(notice.attrs).toMatchObject({ to: "admin@example.test", from: "invites.example.test", type: "chat" });
    const [request] = await h.app.requests.list();
    expect(notice.getChildText("body")).toContain(`New account request ${request?.id}: juliet@example.test`);
    expect(notice.getChildText("body")).toContain("Message: Romeo's friend");

    const pending = await inject({ method: "GET", url: `${link}?sent=1` });
    expect(pending.statusCode).toBe(200);
    expect(pending.body).toContain("Your request has been sent.");
    expect(pending.body).toContain("Your request is waiting for an answer");
    expect(pending.body).toContain(`value="${PUBLIC}${link}"`);
    // The store holds the name and message, never a password or a usable token.
    const stored = db().prepare("SELECT * FROM account_requests").get() as Record<string, unknown>;
    expect(Object.keys(stored)).not.toContain("password");
    expect(JSON.stringify(stored)).not.toContain(link.slice("/request/".length));

    await h.app.requests.approve(request?.id ?? "", "admin@example.test");
    const form = await inject({ method: "GET", url: link });
    expect(form.body).toContain("Your request has been approved. Choose a password to create your account.");
    expect(form.body).toMatch(/<input type="text" id="username" name="username" value="juliet"[^>]* readonly/);
    const posted = await post(link, { username: "mallory", password: "balcony-at-midnight", confirm: "balcony-at-midnight" });
    expect(posted.statusCode).toBe(303);
    const done = await inject({ method: "GET", url: String(posted.headers["location"]) });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain("juliet@example.test");
    expect(accounts().get("juliet")).toBe("balcony-at-midnight");
    expect(accounts().has("mallory")).toBe(false);
    // Single use: the link now says the account exists.
    const after = await inject({ method: "GET", url: link });
    expect(after.body).toContain("Your account has been created");
  });

  it("denied: the link says so; expired: the link says so; an unknown link is 404", async () => {
    setup({ registration_requests: { enabled: true, expiry: "1d" } });
    const a = statusPath((await submit({ username: "alice" })).headers["location"]);
    const b = statusPath((await submit({ username: "bob" })).headers["location"]);
    const alice = (await h.app.requests.list()).find((r) => r.username === "alice");
    await h.app.requests.deny(alice?.id ?? "", "admin@example.test");
    expect((await inject({ method: "GET", url: a })).body).toContain("Your request was not approved");
    h.clock.advance(86_400_000 + 1);
    expect((await inject({ method: "GET", url: b })).body).toContain("Your request has expired");
    const bob = (await h.app.requests.list({ all: true })).find((r) => r.username === "bob");
    await expect(h.app.requests.approve(bob?.id ?? "", "admin@example.test")).rejects.toThrow(/already been decided or has expired/);
    expect((await inject({ method: "GET", url: "/request/AAAAAAAAAAAAAAAAAAAAAAAA" })).statusCode).toBe(404);
  });

  it("refuses a second request for a waiting name, bad names, and too many requests from one address", async () => {
    setup({ registration_requests: { enabled: true, rate_limit: { max: 3, window: 3600 } } });
    expect((await submit({ username: "carol" })).statusCode).toBe(303);
    const again = await submit({ username: "Carol" });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain("Someone has already asked for this username.");
    // A name the form refuses by itself does not count against the three an hour.
    expect((await submit({ username: "a b" })).statusCode).toBe(422);
    expect((await submit({ username: "" })).statusCode).toBe(422);
    expect((await submit({ username: "dave" })).statusCode).toBe(303);
    const limited = await submit({ username: "erin" });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["retry-after"]).toBe("3600");
    expect(limited.body).toContain("Please try again in 60 minutes.");
    expect((await h.app.requests.list()).map((r) => r.username).sort()).toEqual(["carol", "dave"]);
  });

  it("XML 1.0 §2.2: a username or message XML cannot carry gets the field's own error (400); nothing stored, no admin told", async () => {
    setup(enabled);
    const message = await submit({ username: "mallory", message: "let me in\u0001" });
    expect(message.statusCode).toBe(400);
    expect(message.body).toMatch(/id="message-error"[^>]*>This contains characters that are not allowed/);
    expect(message.body).toContain("let me in\uFFFD");
    const username = await submit({ username: "mal\uFFFFlory", message: "hello" });
    expect(username.statusCode).toBe(400);
    expect(username.body).toMatch(/id="username-error"[^>]*>This contains characters that are not allowed/);
    expect(await h.app.requests.list()).toEqual([]);
    await expect(h.nextSent(200)).rejects.toThrow("sent nothing");
    expect((await submit({ username: "mallory", message: "let me in" })).statusCode).toBe(303);
  });

  it("admins decide with ad-hoc commands: list, then approve", async () => {
    setup(enabled);
    await submit({ username: "erin" });
    await h.nextSent();
    const COMMANDS = "http://jabber.org/protocol/commands";
    const list = await h.iq("set", stanza`<command xmlns="${COMMANDS}" node="xmpp-invites#requests" action="execute"/>`, ADMIN);
    const [id] = list.getChild("command")?.getChild("x", "jabber:x:data")?.getChildren("item").map((item) => item.getChildren("field").find((f) => f.attrs.var === "id")?.getChildText("value")) ?? [];
    expect(id).toBe((await h.app.requests.list())[0]?.id);
    const denied = await h.iq("set", stanza`<command xmlns="${COMMANDS}" node="xmpp-invites#requests" action="execute"/>`, "alice@example.test/phone");
    expect(denied.getChild("error")?.getChild("forbidden")).toBeDefined();
    const done = await h.iq("set", stanza`<command xmlns="${COMMANDS}" node="xmpp-invites#request-decide" action="execute"><x xmlns="jabber:x:data" type="submit"><field var="id"><value>${id}</value></field><field var="decision"><value>approve</value></field></x></command>`, ADMIN);
    expect(done.getChild("command")?.attrs.status).toBe("completed");
    expect(await h.app.requests.get(id ?? "")).toMatchObject({ status: "approved", decidedBy: "admin@example.test" });
    expect((await h.app.invites.list())[0]).toMatchObject({ type: "account", username: "erin", maxUses: 1, source: `request:${id}` });
  });

  it("the API lists, shows, approves and denies (write keys only), with the registry's codes", async () => {
    setup(enabled);
    await submit({ username: "frank" });
    h.clock.advance(1000);
    await submit({ username: "grace" });
    const { secret } = await h.app.apiKeys.create("portal");
    const { secret: readOnly } = await h.app.apiKeys.create("viewer", { readOnly: true });
    const auth = (key: string) => ({ authorization: `Bearer ${key}` });
    const list = await inject({ method: "GET", url: "/api/v1/requests", headers: auth(readOnly) });
    expect(list.statusCode).toBe(200);
    const [frank, grace] = list.json().requests as Array<{ id: string; username: string; status: string }>;
    expect([frank?.username, grace?.username, frank?.status]).toEqual(["frank", "grace", "pending"]);
    expect((await inject({ method: "POST", url: `/api/v1/requests/${frank?.id}/approve`, headers: auth(readOnly) })).statusCode).toBe(403);
    const approved = await inject({ method: "POST", url: `/api/v1/requests/${frank?.id}/approve`, headers: auth(secret) });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ status: "approved", decided_by: expect.stringMatching(/^api:/), invite_id: expect.any(String) });
    expect((await inject({ method: "POST", url: `/api/v1/requests/${frank?.id}/deny`, headers: auth(secret) })).json().error.code).toBe("request-decided");
    expect((await inject({ method: "POST", url: `/api/v1/requests/${grace?.id}/deny`, headers: auth(secret) })).json().status).toBe("denied");
    const missing = await inject({ method: "GET", url: "/api/v1/requests/nosuch", headers: auth(secret) });
    expect([missing.statusCode, missing.json().error.code]).toEqual([404, "request-not-found"]);
  });
});
