// The web portal in process (fastify inject): sign-in checked by a password check standing in for
// the server, sessions in the store, CSRF per session, the limit on failed sign-ins, the user's
// invites (made through the same core and limits as the ad-hoc command) and revoking them.
import type { InjectOptions } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import type { PasswordCheck } from "../../src/invites/ports/password.js";
import { type Harness, createHarness } from "../helpers/xmpp-harness.js";

let h: Harness;
afterEach(() => h?.close());

const PUBLIC = "https://invite.example.test";
/** The server's accounts and their passwords, as the fake check knows them. */
const PASSWORDS: Record<string, string> = { romeo: "right horse battery", juliet: "balcony-at-night", admin: "admin-password-1" };
let checks = 0;
const check: PasswordCheck = {
  async check(username, password) {
    checks += 1;
    return PASSWORDS[username] === password ? "valid" : "invalid";
  },
};

const setup = (config = {}) => {
  checks = 0;
  h = createHarness({ http: { public_url: PUBLIC, listen: "127.0.0.1:0" }, site_name: "Example Chat", admins: ["admin@example.test"], ...config }, { passwordCheck: check });
};
const inject = (options: InjectOptions) => h.app.http.fastify.inject(options);
const form = { "content-type": "application/x-www-form-urlencoded" };
const csrfOf = (body: string) => /name="csrf" value="([^"]+)"/.exec(body)?.[1] ?? "";
const cookieOf = (setCookie: unknown) => /xi_portal=([^;]*)/.exec(String(setCookie))?.[1] ?? "";

async function login(username: string, password: string, extra: { cookie?: string; ip?: string } = {}) {
  const page = await inject({ method: "GET", url: "/account/login" });
  return inject({
    method: "POST",
    url: "/account/login",
    headers: { ...form, ...(extra.cookie ? { cookie: `xi_portal=${extra.cookie}` } : {}) },
    remoteAddress: extra.ip ?? "203.0.113.7",
    payload: new URLSearchParams({ csrf: csrfOf(page.body), username, password }).toString(),
  });
}

async function signedIn(username = "romeo"): Promise<string> {
  const res = await login(username, PASSWORDS[username] ?? "");
  expect(res.statusCode).toBe(303);
  return cookieOf(res.headers["set-cookie"]);
}

async function post(url: string, session: string, fields: Record<string, string> = {}, csrfFrom = "/account") {
  const page = await inject({ method: "GET", url: csrfFrom, headers: { cookie: `xi_portal=${session}` } });
  return inject({ method: "POST", url, headers: { ...form, cookie: `xi_portal=${session}` }, payload: new URLSearchParams({ csrf: csrfOf(page.body), ...fields }).toString() });
}

describe("portal sign-in", () => {
  it("the right password opens a new session: 303 to /account, an HttpOnly, SameSite=Strict, Secure cookie; the front page links here", async () => {
    setup();
    const res = await login("Romeo", PASSWORDS["romeo"] ?? "");
    expect(res.statusCode).toBe(303);
    expect(res.headers["location"]).toBe("/account");
    const cookie = String(res.headers["set-cookie"]);
    expect(cookie).toMatch(/^xi_portal=[A-Za-z0-9]{48}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict; Secure$/);
    const account = await inject({ method: "GET", url: "/account", headers: { cookie: `xi_portal=${cookieOf(cookie)}` } });
    expect(account.statusCode).toBe(200);
    expect(account.body).toContain('Signed in as <span class="jid">romeo@example.test</span>');
    expect((await inject({ method: "GET", url: "/" })).body).toContain('<a href="/account/login">Sign in</a>');
  });

  it("no Secure flag over plain http without an https public_url; the expiry comes from portal.session_expiry", async () => {
    setup({ http: { listen: "127.0.0.1:0" }, portal: { session_expiry: "1h" } });
    const res = await login("romeo", PASSWORDS["romeo"] ?? "");
    expect(String(res.headers["set-cookie"])).toMatch(/Max-Age=3600; HttpOnly; SameSite=Strict$/);
    h.clock.advance(3601_000);
    const account = await inject({ method: "GET", url: "/account", headers: { cookie: `xi_portal=${cookieOf(res.headers["set-cookie"])}` } });
    expect(account.statusCode).toBe(303);
    expect(account.headers["location"]).toBe("/account/login");
  });

  it("a wrong password and an unknown user get the same answer, and no session", async () => {
    setup();
    const wrong = await login("romeo", "not the password");
    const unknown = await login("nobody", "not the password");
    expect(wrong.statusCode).toBe(403);
    expect(unknown.statusCode).toBe(403);
    expect(wrong.headers["set-cookie"]).toBeUndefined();
    const alert = (body: string) => /<p class="alert" role="alert">([^<]*)<\/p>/.exec(body)?.[1];
    expect(alert(wrong.body)).toBe("The username or the password is not right.");
    expect(alert(unknown.body)).toBe(alert(wrong.body));
  });

  it("after 10 failures for one account (from any address) the 11th attempt gets 429 with the real wait, even with the right password; the window then passes", async () => {
    setup();
    for (let i = 0; i < 10; i++) {
      expect((await login("romeo", `guess ${i}`, { ip: `198.51.100.${i + 1}` })).statusCode).toBe(403);
      h.clock.advance(60_000);
    }
    const before = checks;
    const limited = await login("romeo", PASSWORDS["romeo"] ?? "", { ip: "198.51.100.99" });
    expect(limited.statusCode).toBe(429);
    expect(checks).toBe(before);
    // The first failure was 10 minutes ago: it leaves the 15-minute window in 5.
    expect(limited.headers["retry-after"]).toBe("300");
    expect(limited.body).toContain("Please try again in 5 minutes.");
    h.clock.advance(300_000);
    expect((await login("romeo", PASSWORDS["romeo"] ?? "", { ip: "198.51.100.99" })).statusCode).toBe(303);
  });

  it("after 10 failures from one address, that address is refused for every account; others are not", async () => {
    setup();
    for (let i = 0; i < 10; i++) expect((await login(`user${i}`, "guess")).statusCode).toBe(403);
    expect((await login("juliet", PASSWORDS["juliet"] ?? "")).statusCode).toBe(429);
    expect((await login("juliet", PASSWORDS["juliet"] ?? "", { ip: "192.0.2.1" })).statusCode).toBe(303);
  });

  it("a server that cannot check the password: 503 with its own text, no session, nothing counted against the user; a warning in the log", async () => {
    h = createHarness({ http: { public_url: PUBLIC, listen: "127.0.0.1:0" } }, { passwordCheck: { check: async () => "unavailable" } });
    for (let i = 0; i < 12; i++) {
      const res = await login("romeo", PASSWORDS["romeo"] ?? "");
      expect(res.statusCode).toBe(503);
      expect(res.headers["set-cookie"]).toBeUndefined();
      expect(res.body).toContain("The server cannot check passwords just now. Please try again later.");
    }
    expect(h.logs.lines()).toContainEqual(expect.objectContaining({ level: 40, msg: "portal sign-in refused", outcome: "unavailable" }));
  });

  it("session fixation: a session id the browser brings is ended at sign-in, and the new one differs", async () => {
    setup();
    const planted = await signedIn("juliet");
    const res = await login("romeo", PASSWORDS["romeo"] ?? "", { cookie: planted });
    const fresh = cookieOf(res.headers["set-cookie"]);
    expect(fresh).not.toBe(planted);
    expect((await inject({ method: "GET", url: "/account", headers: { cookie: `xi_portal=${planted}` } })).statusCode).toBe(303);
  });

  it("the sign-in form needs its CSRF token and a same-origin post", async () => {
    setup();
    const bare = await inject({ method: "POST", url: "/account/login", headers: form, payload: "username=romeo&password=x" });
    expect(bare.statusCode).toBe(403);
    const page = await inject({ method: "GET", url: "/account/login" });
    const cross = await inject({
      method: "POST", url: "/account/login", headers: { ...form, "sec-fetch-site": "cross-site" },
      payload: new URLSearchParams({ csrf: csrfOf(page.body), username: "romeo", password: PASSWORDS["romeo"] ?? "" }).toString(),
    });
    expect(cross.statusCode).toBe(403);
    expect(checks).toBe(0);
  });

  it("sign-out ends the session in the store; the old cookie opens nothing", async () => {
    setup();
    const session = await signedIn();
    const out = await post("/account/logout", session);
    expect(out.statusCode).toBe(303);
    expect(out.headers["location"]).toBe("/account/login?out=1");
    expect(String(out.headers["set-cookie"])).toContain("xi_portal=; Path=/; Max-Age=0");
    expect((await inject({ method: "GET", url: "/account", headers: { cookie: `xi_portal=${session}` } })).statusCode).toBe(303);
  });

  it("an API key never opens a portal page, and a portal session never opens the API", async () => {
    setup();
    const { secret } = await h.app.apiKeys.create("k");
    expect((await inject({ method: "GET", url: "/account", headers: { authorization: `Bearer ${secret}` } })).statusCode).toBe(303);
    const session = await signedIn("admin");
    expect((await inject({ method: "GET", url: "/api/v1/invites", headers: { cookie: `xi_portal=${session}` } })).statusCode).toBe(401);
  });
});

describe("portal account page", () => {
  it("creates a contact invite through the core: link, QR code, a message to send; listed with kind, uses and who joined", async () => {
    setup();
    const session = await signedIn();
    const res = await post("/account/invites", session);
    expect(res.statusCode).toBe(200);
    const link = /id="invite-link" value="([^"]+)"/.exec(res.body)?.[1] ?? "";
    expect(link).toMatch(new RegExp(`^${PUBLIC}/invite/[A-Za-z0-9]{24}$`));
    expect(res.body).toContain(`Join me on Example Chat! Open this link to chat with me: ${link}`);
    expect(res.body).toMatch(/<div class="qr" role="img" aria-label="QR code of the invite link"><svg/);
    const [invite] = await h.app.invites.list({ inviter: "romeo@example.test" });
    expect(invite).toMatchObject({ type: "contact", inviter: "romeo@example.test", allowRegistration: false, source: "romeo@example.test" });
    const account = await inject({ method: "GET", url: "/account", headers: { cookie: `xi_portal=${session}` } });
    expect(account.body).toContain("<td>Contact</td>");
    expect(account.body).toContain("<td>0/1</td>");
    expect(account.body).toContain(`/account/invites/${invite?.id}/revoke`);
  });

  it("allow_user_invites: a user's invite may create an account, as the ad-hoc command's would", async () => {
    setup({ allow_user_invites: true });
    await post("/account/invites", await signedIn());
    const [invite] = await h.app.invites.list({ inviter: "romeo@example.test" });
    expect(invite?.allowRegistration).toBe(true);
  });

  it("invite_limits hold as for the ad-hoc command: the refusal is shown; admins are exempt", async () => {
    setup({ invite_limits: { active_per_user: 1 } });
    const session = await signedIn();
    expect((await post("/account/invites", session)).statusCode).toBe(200);
    const refused = await post("/account/invites", session);
    expect(refused.statusCode).toBe(429);
    expect(refused.body).toContain("You have 1 invites that can still be used");
    const admin = await signedIn("admin");
    expect((await post("/account/invites", admin)).statusCode).toBe(200);
    expect((await post("/account/invites", admin)).statusCode).toBe(200);
  });

  it("a form post without the session's CSRF token is refused, and a token from another session does not fit", async () => {
    setup();
    const romeo = await signedIn();
    const juliet = await signedIn("juliet");
    expect((await inject({ method: "POST", url: "/account/invites", headers: { ...form, cookie: `xi_portal=${romeo}` }, payload: "" })).statusCode).toBe(403);
    const julietsPage = await inject({ method: "GET", url: "/account", headers: { cookie: `xi_portal=${juliet}` } });
    const crossed = await inject({ method: "POST", url: "/account/invites", headers: { ...form, cookie: `xi_portal=${romeo}` }, payload: `csrf=${csrfOf(julietsPage.body)}` });
    expect(crossed.statusCode).toBe(403);
    expect(await h.app.invites.list({ all: true })).toEqual([]);
  });

  it("revoking one's own invite kills its link at once; another user's invite cannot be revoked", async () => {
    setup();
    const romeo = await signedIn();
    const created = await post("/account/invites", romeo);
    const token = /\/invite\/([A-Za-z0-9]{24})/.exec(created.body)?.[1] ?? "";
    expect((await inject({ method: "GET", url: `/invite/${token}` })).statusCode).toBe(200);
    const [invite] = await h.app.invites.list({ inviter: "romeo@example.test" });
    const juliet = await signedIn("juliet");
    expect((await post(`/account/invites/${invite?.id}/revoke`, juliet)).statusCode).toBe(404);
    expect((await inject({ method: "GET", url: `/invite/${token}` })).statusCode).toBe(200);
    const revoked = await post(`/account/invites/${invite?.id}/revoke`, romeo);
    expect(revoked.statusCode).toBe(303);
    expect(revoked.headers["location"]).toBe("/account?revoked=1");
    expect((await inject({ method: "GET", url: `/invite/${token}` })).statusCode).toBe(404);
    const page = await inject({ method: "GET", url: "/account?revoked=1", headers: { cookie: `xi_portal=${romeo}` } });
    expect(page.body).toContain("The invite is revoked: its link no longer works.");
    expect(page.body).toContain("<td>Revoked</td>");
  });

  it("shows who invited the user and the welcome text", async () => {
    setup({ welcome_message: "Welcome {username} to {site_name}, invited by {inviter}!" });
    const { token } = await h.app.invites.create({ type: "contact", inviter: "juliet@example.test", allowRegistration: true });
    await h.app.registration.register({ token, username: "romeo", password: PASSWORDS["romeo"] ?? "", door: "web" });
    const page = await inject({ method: "GET", url: "/account", headers: { cookie: `xi_portal=${await signedIn()}` } });
    expect(page.body).toContain('You were invited by <span class="jid">juliet@example.test</span>.');
    expect(page.body).toContain("Welcome romeo to Example Chat, invited by juliet@example.test!");
    const juliet = await inject({ method: "GET", url: "/account", headers: { cookie: `xi_portal=${await signedIn("juliet")}` } });
    expect(juliet.body).toContain('<span class="jid">romeo@example.test</span>');
  });

  it("portal.enabled false: no portal routes and no link on the front page", async () => {
    setup({ portal: { enabled: false } });
    expect((await inject({ method: "GET", url: "/account/login" })).statusCode).toBe(404);
    expect((await inject({ method: "GET", url: "/" })).body).not.toContain("/account/login");
  });
});

describe("portal admin page", () => {
  const get = async (url: string, session: string) => inject({ method: "GET", url, headers: { cookie: `xi_portal=${session}` } });

  it("only admins: a user gets 404, a visitor without a session goes to sign in", async () => {
    setup();
    expect((await inject({ method: "GET", url: "/admin" })).headers["location"]).toBe("/account/login");
    const romeo = await signedIn();
    expect((await get("/admin", romeo)).statusCode).toBe(404);
    const created = await h.app.invites.create({ note: "x" });
    expect((await post(`/admin/invites/${created.invite.id}/revoke`, romeo)).statusCode).toBe(404);
    expect((await h.app.invites.get(created.invite.id)).revokedAt).toBeNull();
    const admin = await signedIn("admin");
    expect((await get("/account", admin)).body).toContain('href="/admin"');
    expect((await get("/admin", admin)).statusCode).toBe(200);
  });

  it("approves a waiting request through the core; a second decision, here or through the API, is \"already decided\"", async () => {
    setup({ registration_requests: { enabled: true } });
    const { request } = await h.app.requests.submit({ username: "rosaline", message: "Romeo's friend" });
    const other = (await h.app.requests.submit({ username: "benvolio" })).request;
    const admin = await signedIn("admin");
    const page = await get("/admin", admin);
    expect(page.body).toContain('<span class="jid">rosaline</span>');
    expect(page.body).toContain("Romeo&#39;s friend");
    const approved = await post(`/admin/requests/${request.id}/approve`, admin, {}, "/admin");
    expect(approved.statusCode).toBe(303);
    expect(approved.headers["location"]).toBe("/admin?approved=rosaline");
    expect(await h.app.requests.get(request.id)).toMatchObject({ status: "approved", decidedBy: "admin@example.test" });
    expect((await get("/admin?approved=rosaline", admin)).body).toContain("The request for rosaline is approved.");
    const again = await post(`/admin/requests/${request.id}/deny`, admin, {}, "/admin");
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain("This request has already been decided.");
    const { secret } = await h.app.apiKeys.create("k");
    const api = await inject({ method: "POST", url: `/api/v1/requests/${request.id}/deny`, headers: { authorization: `Bearer ${secret}` } });
    expect(api.statusCode).toBe(409);
    expect((await post(`/admin/requests/${other.id}/deny`, admin, {}, "/admin")).headers["location"]).toBe("/admin?denied=benvolio");
    expect((await post("/admin/requests/nosuchid/deny", admin, {}, "/admin")).statusCode).toBe(404);
  });

  it("creates account, fixed-username, group and reset invites with the CLI's and API's rules; bad input is refused", async () => {
    setup();
    const admin = await signedIn("admin");
    const create = (fields: Record<string, string>) => post("/admin/invites", admin, fields, "/admin");
    expect((await create({ kind: "account", uses: "3", note: "for the team" })).statusCode).toBe(200);
    expect((await create({ kind: "fixed", username: "tybalt" })).statusCode).toBe(200);
    const group = await create({ kind: "group", group: "Capulets" });
    expect(group.body).toMatch(/id="invite-link" value="https:\/\/invite\.example\.test\/invite\/[A-Za-z0-9]{24}"/);
    expect((await create({ kind: "reset", username: "romeo" })).statusCode).toBe(200);
    const made = await h.app.invites.list();
    expect(made.map((i) => [i.type, i.username, i.groups, i.maxUses, i.source]).sort()).toEqual([
      ["account", null, [], 3, "admin@example.test"],
      ["account", null, ["Capulets"], 1, "admin@example.test"],
      ["account", "tybalt", [], 1, "admin@example.test"],
      ["reset", "romeo", [], 1, "admin@example.test"],
    ].sort());
    expect((await create({ kind: "fixed" })).statusCode).toBe(422);
    expect((await create({ kind: "account", uses: "many" })).body).toContain("uses: &quot;many&quot; is not a whole number");
    expect((await create({ kind: "bogus" })).statusCode).toBe(422);
    expect(await h.app.invites.list()).toHaveLength(4);
  });

  it("lists every invite with filters, revokes one (its link dies at once), revokes a user's pending invites; the tree and the figures", async () => {
    setup();
    const a = await h.app.invites.create({ type: "contact", inviter: "juliet@example.test", allowRegistration: true });
    await h.app.invites.create({ type: "contact", inviter: "juliet@example.test" });
    const b = await h.app.invites.create({ note: "cli" });
    await h.app.registration.register({ token: a.token, username: "romeo", password: PASSWORDS["romeo"] ?? "", door: "web" });
    const admin = await signedIn("admin");
    const page = await get("/admin", admin);
    expect(page.body).toMatch(/<li><span class="jid">juliet@example\.test<\/span><ul><li><span class="jid">romeo@example\.test<\/span><\/li><\/ul><\/li>/);
    expect(page.body).toMatch(/<td><code>xmpp_invites_[a-z_]+(\{[^}]*\})?<\/code><\/td><td>\d/);
    const revoked = await post(`/admin/invites/${b.invite.id}/revoke`, admin, {}, "/admin");
    expect(revoked.headers["location"]).toBe("/admin?revoked=1");
    expect((await inject({ method: "GET", url: `/invite/${b.token}` })).statusCode).toBe(404);
    const onlyRevoked = await get("/admin?status=revoked", admin);
    expect(onlyRevoked.body.match(/<td>Revoked<\/td>/g)).toHaveLength(1);
    expect(onlyRevoked.body).not.toContain("<td>Active</td>");
    const juliets = await get("/admin?inviter=juliet%40example.test&kind=contact", admin);
    expect(juliets.body.match(/<tr>\n<td>Contact<\/td>/g)).toHaveLength(1);
    const user = await post("/admin/users/revoke", admin, { jid: "Juliet@example.test" }, "/admin");
    expect(user.headers["location"]).toBe("/admin?revokedCount=1");
    expect((await get("/admin?revokedCount=1", admin)).body).toContain("1 invite revoked.");
    expect((await h.app.invites.list()).filter((i) => i.inviter === "juliet@example.test")).toEqual([]);
  });
});
