// The web door walked as people meet it, in process (fastify inject) over the real core with a fake
// adapter: a success page that survives reload and language switch, every field error at once,
// typing errors that never lock anyone out, 404s that say what is missing, trailing slashes, and
// account requests whose names are checked before they are taken and again before approval.
import type { InjectOptions } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { requestJson } from "../../src/invites/requests/account-requests.js";
import { FakeAdapter } from "../helpers/fake-adapter.js";
import { type Harness, createHarness } from "../helpers/xmpp-harness.js";
import { stanza } from "../helpers/xml.js";

let h: Harness;
afterEach(() => h?.close());

const PUBLIC = "https://invite.example.test";
const ADMIN = "admin@example.test/laptop";
const ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";
const DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
const PASSWORD = "balcony-at-midnight";

const setup = (config = {}) => (h = createHarness({ http: { public_url: PUBLIC, listen: "127.0.0.1:0" }, site_name: "Example Chat", admins: ["admin@example.test"], ...config }));
const inject = (options: InjectOptions) => h.app.http.fastify.inject(options);
const get = (url: string, headers: Record<string, string> = {}) => inject({ method: "GET", url, headers });
const accounts = () => (h.adapter as unknown as FakeAdapter).accounts;
const csrfOf = (body: string) => /name="csrf" value="([^"]+)"/.exec(body)?.[1] ?? "";

async function post(url: string, fields: Record<string, string>, formUrl = url, headers: Record<string, string> = {}) {
  const page = await get(formUrl, headers);
  return inject({
    method: "POST",
    url,
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    payload: new URLSearchParams({ csrf: csrfOf(page.body), ...fields }).toString(),
  });
}

describe("success page: POST, redirect, GET", () => {
  it("a stable address that survives reload and a language switch, says whom to log in as, opens the app without adding anyone, and leads nowhere near the used invite", async () => {
    setup();
    const { token } = await h.app.invites.create({ type: "contact", inviter: "romeo@example.test", allowRegistration: true });
    const posted = await post(`/invite/${token}/register`, { username: "Juliet", password: PASSWORD, confirm: PASSWORD });
    expect(posted.statusCode).toBe(303);
    const done = String(posted.headers["location"]);
    expect(done).toMatch(/^\/done\/[\w-]+\.[\w-]+$/);
    expect(done).not.toContain(token);
    expect(done).not.toContain(PASSWORD);
    const first = await get(done);
    const again = await get(done);
    expect([first.statusCode, again.statusCode]).toEqual([200, 200]);
    expect(again.body).toBe(first.body);
    expect(first.body).toContain("Your account is ready");
    expect(first.body).toMatch(/log in as <span class="jid">juliet@example\.test<\/span>/);
    expect(first.body).toContain("romeo@example.test");
    expect(first.body).toContain('<a class="button" href="xmpp:example.test">Open your XMPP app</a>');
    expect(first.body).not.toContain("xmpp:juliet@example.test");
    expect(first.body).not.toContain("/invite/");
    expect(first.body).not.toContain("invitation page");
    expect(first.body).toContain("Get an app");
    // The language picker's links keep the address: the page comes back in German.
    expect(first.body).toContain('href="?lang=de"');
    const german = await get(`${done}?lang=de`);
    expect(german.statusCode).toBe(200);
    expect(german.body).toContain("Dein Konto ist bereit");
    expect(german.body).toContain("juliet@example.test");
    // Nothing was sent twice.
    expect([...accounts().keys()]).toEqual(["juliet"]);
  });

  it("a forged or altered note is a 404; one past its day says the page expired (410) without naming anyone", async () => {
    setup();
    const { token } = await h.app.invites.create();
    const done = String((await post(`/invite/${token}/register`, { username: "juliet", password: PASSWORD, confirm: PASSWORD })).headers["location"]);
    const [body, mac] = done.slice("/done/".length).split(".");
    const forged = Buffer.from(JSON.stringify({ j: "mallory@example.test", a: "created", i: null, exp: Date.now() * 2 })).toString("base64url");
    expect((await get(`/done/${forged}.${mac}`)).statusCode).toBe(404);
    expect((await get(`/done/${body}`)).statusCode).toBe(404);
    h.clock.advance(24 * 3600_000 + 1);
    const expired = await get(done);
    expect(expired.statusCode).toBe(410);
    expect(expired.body).toContain("This page has expired");
    expect(expired.body).not.toContain("juliet");
  });

  it("a password reset lands on its own success page, with no app list", async () => {
    setup();
    accounts().set("alice", "old-password-123");
    const { token } = await h.app.invites.create({ type: "reset", username: "alice" });
    const posted = await post(`/invite/${token}/register`, { password: "new-password-456", confirm: "new-password-456" });
    const page = await get(String(posted.headers["location"]));
    expect(page.body).toContain("Your password has been changed");
    expect(page.body).not.toContain("Get an app");
  });
});

describe("form errors", () => {
  it("every field's error at once, the username rules with the refusal, and an error summary first that takes the focus and links to the fields", async () => {
    setup({ terms_url: "https://example.test/terms" });
    const { token } = await h.app.invites.create();
    const form = await get(`/invite/${token}/register`);
    expect(form.body).toContain('<p class="muted" id="username-hint">No spaces, and none of these characters: \u2066&quot; &amp; &#39; / : &lt; &gt; @\u2069. Capital letters become lowercase.</p>');
    expect(form.body).not.toContain("error-summary");
    const res = await post(`/invite/${token}/register`, { username: "a b", password: "x", confirm: "y" });
    expect(res.statusCode).toBe(422);
    const errors = [...res.body.matchAll(/<p class="error" id="(\w+)-error">/g)].map((m) => m[1]);
    expect(errors).toEqual(["username", "password", "confirm", "consent"]);
    expect(res.body).toMatch(/id="username-error">The requested username is invalid\. No spaces, and none of these characters/);
    const summary = /<div class="error-summary" id="error-summary" tabindex="-1" autofocus[^>]*>([\s\S]*?)<\/div>/.exec(res.body);
    expect(summary).not.toBeNull();
    expect(res.body.indexOf("error-summary")).toBeLessThan(res.body.indexOf("<form"));
    expect([...(summary?.[1] ?? "").matchAll(/<a href="#(\w+)">/g)].map((m) => m[1])).toEqual(["username", "password", "confirm", "consent"]);
    expect(res.body).toMatch(/id="username"[^>]*aria-invalid="true"[^>]*aria-describedby="username-domain username-hint username-error"/);
  });

  it("the request form: the rules in the hint and in the error, with a summary", async () => {
    setup({ registration_requests: { enabled: true } });
    const res = await post("/request", { username: "a/b", message: "" }, "/");
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('<a href="#username">The requested username is invalid. No spaces');
    expect(res.body).toContain('id="username-hint"');
  });

  it("the address row stays left-to-right in Arabic: the box, then @domain", async () => {
    setup({ registration_requests: { enabled: true } });
    const page = (await get("/?lang=ar")).body;
    expect(page).toContain('<html lang="ar" dir="rtl">');
    expect(page).toMatch(/<div class="field-row" dir="ltr">\s*<input[^>]*id="username"[\s\S]*?<span class="muted" id="username-domain">@example\.test<\/span>/);
  });
});

describe("pages that are not there", () => {
  it("an unknown request link speaks of a request, not an invite, in the visitor's language", async () => {
    setup({ registration_requests: { enabled: true } });
    const res = await get("/request/AAAAAAAAAAAAAAAAAAAAAAAA");
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain("This request link is not valid");
    expect(res.body).not.toMatch(/invite/i);
    expect((await get("/request/AAAAAAAAAAAAAAAAAAAAAAAA?lang=de")).body).toContain("Dieser Antragslink ist nicht gültig");
  });

  it("a trailing slash redirects to the canonical address (301 for GET, 308 for a form post), the query kept; never to another host", async () => {
    setup();
    const { token } = await h.app.invites.create();
    const landing = await get(`/invite/${token}/`);
    expect([landing.statusCode, landing.headers["location"]]).toEqual([301, `/invite/${token}`]);
    const german = await get(`/invite/${token}/register/?lang=de`);
    expect([german.statusCode, german.headers["location"]]).toEqual([301, `/invite/${token}/register?lang=de`]);
    const form = await inject({ method: "POST", url: `/invite/${token}/register/`, headers: { "content-type": "application/x-www-form-urlencoded" }, payload: "username=x" });
    expect([form.statusCode, form.headers["location"]]).toEqual([308, `/invite/${token}/register`]);
    const hostile = await get("//evil.example/");
    expect(hostile.statusCode).toBe(404);
    expect(hostile.headers["location"]).toBeUndefined();
  });

  it("any other unknown address is a page in the visitor's language; the API keeps its plain 404", async () => {
    setup();
    const page = await get("/nothing-here", { "accept-language": "de" });
    expect(page.statusCode).toBe(404);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.body).toContain("Seite nicht gefunden");
    const api = await get("/api/v1/nothing");
    expect([api.statusCode, api.body]).toEqual([404, "Not Found\n"]);
  });
});

describe("the landing page as each visitor reads it", () => {
  it("“tap” on a phone, “click” on a computer, neutral when the browser does not say", async () => {
    setup({ bridge: "prosody" });
    const { token } = await h.app.invites.create();
    const step = async (ua?: string) => /Back from the app store\? ([^.]+)\./.exec((await get(`/invite/${token}`, ua === undefined ? {} : { "user-agent": ua })).body)?.[1];
    expect(await step(ANDROID)).toBe("Tap the button");
    expect(await step(DESKTOP)).toBe("Click the button");
    expect(await step()).toBe("Use the button below");
  });

  it("a phone sees its own platform's apps; the others wait behind a disclosure; a computer sees them all", async () => {
    setup({ bridge: "prosody" });
    const { token } = await h.app.invites.create();
    const android = (await get(`/invite/${token}`, { "user-agent": ANDROID })).body;
    const details = android.indexOf('<details class="more-apps"><summary>Apps for other devices</summary>');
    expect(details).toBeGreaterThan(android.indexOf("Conversations"));
    expect(android.indexOf("Gajim")).toBeGreaterThan(details);
    expect(android.indexOf("<h3>iOS</h3>")).toBeGreaterThan(details);
    const desktop = (await get(`/invite/${token}`, { "user-agent": DESKTOP })).body;
    expect(desktop).not.toContain("<details");
    expect(desktop).toContain("Gajim");
  });

  it("the example address and the date are in the page's language", async () => {
    setup();
    const { token } = await h.app.invites.create();
    const german = (await get(`/invite/${token}?lang=de`)).body;
    expect(german).toContain("deinname@example.test");
    expect(german).not.toContain("yourname");
    expect(german).toMatch(/gilt bis <time datetime="[^"]+">\d{1,2}\. \p{L}+ \d{4} um \d{2}:\d{2} UTC<\/time>/u);
    expect(german).not.toMatch(/\b[AP]M\b/);
    expect((await get(`/invite/${token}?lang=ar`)).body).toContain("اسمك@example.test");
  });
});

describe("account requests for names that are taken", () => {
  const enabled = { registration_requests: { enabled: true } };
  const submit = (username: string) => post("/request", { username, message: "" }, "/");

  it("refused up front when the account exists or another invite holds the name; nothing stored, no admin told", async () => {
    setup(enabled);
    accounts().set("romeo", "x");
    await h.app.invites.create({ username: "zoe" });
    const exists = await submit("Romeo");
    expect(exists.statusCode).toBe(409);
    expect(exists.body).toContain("The requested username already exists.");
    expect((await submit("zoe")).statusCode).toBe(409);
    expect(await h.app.requests.list({ all: true })).toEqual([]);
    await expect(h.nextSent(200)).rejects.toThrow("sent nothing");
  });

  it("taken meanwhile: every listing warns the admin, approval is refused; after registration the request says registered", async () => {
    setup(enabled);
    const link = String((await submit("juliet")).headers["location"]).replace(/\?sent=1$/, "");
    await submit("mercutio");
    // The two notices to the admin, before the commands' answers.
    await h.nextSent();
    await h.nextSent();
    const [juliet, mercutio] = (await h.app.requests.list()).sort((a, b) => a.username.localeCompare(b.username));
    accounts().set("mercutio", "x");
    // Core.
    const overview = await h.app.requests.overview();
    expect(overview.map((item) => [item.request.username, item.state, item.taken]).sort()).toEqual([["juliet", "pending", false], ["mercutio", "pending", true]]);
    await expect(h.app.requests.approve(mercutio?.id ?? "", "admin@example.test")).rejects.toMatchObject({ code: "username-taken" });
    // API.
    const { secret } = await h.app.apiKeys.create("portal");
    const auth = { authorization: `Bearer ${secret}` };
    const listed = (await get("/api/v1/requests", auth)).json().requests as Array<{ username: string; name_taken: boolean }>;
    expect(listed.find((r) => r.username === "mercutio")?.name_taken).toBe(true);
    const refused = await inject({ method: "POST", url: `/api/v1/requests/${mercutio?.id}/approve`, headers: auth });
    expect([refused.statusCode, refused.json().error.code]).toEqual([409, "username-taken"]);
    // Ad-hoc commands.
    const COMMANDS = "http://jabber.org/protocol/commands";
    const list = await h.iq("set", stanza`<command xmlns="${COMMANDS}" node="xmpp-invites#requests" action="execute"/>`, ADMIN);
    const rows = list.getChild("command")?.getChild("x", "jabber:x:data")?.getChildren("item").map((item) => Object.fromEntries(item.getChildren("field").map((f) => [f.attrs.var, f.getChildText("value")]))) ?? [];
    expect(rows.find((row) => row["username"] === "mercutio")?.["name"]).toBe("TAKEN: approval refused");
    expect(rows.find((row) => row["username"] === "juliet")?.["name"]).toBe("free");

    // Approved, then registered through the requester's link: the state says so, not "approved".
    await h.app.requests.approve(juliet?.id ?? "", "admin@example.test");
    expect((await h.app.requests.describe(await h.app.requests.get(juliet?.id ?? ""))).state).toBe("approved");
    expect((await post(link, { password: PASSWORD, confirm: PASSWORD })).statusCode).toBe(303);
    const after = await h.app.requests.describe(await h.app.requests.get(juliet?.id ?? ""));
    expect(requestJson(after)).toMatchObject({ username: "juliet", status: "registered", name_taken: false });
    const all = (await get("/api/v1/requests?all=true", auth)).json().requests as Array<{ username: string; status: string }>;
    expect(all.find((r) => r.username === "juliet")?.status).toBe("registered");
  });
});
