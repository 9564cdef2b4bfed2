// Every door at log level trace, on real servers, with known secrets: the captured log must show
// the traffic (stanzas, HTTP request lines, adapter calls, refusals) and never a secret.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../../src/app.js";
import { parseConfig } from "../../src/config/load.js";
import type { ConfigInput } from "../../src/config/schema.js";
import { startEjabberd, type EjabberdServer } from "../../tools/demo/ejabberd.js";
import { type ProsodyServer, startProsody } from "../../tools/demo/prosody.js";
import { type XmppServer, canLogin, login, redeemAnonymously, rosterOf } from "../helpers/clients.js";
import { api, apiRegister, webRegister } from "../helpers/doors.js";
import { type CapturedLog, captureLog } from "../helpers/logger.js";
import { rosterStepsDone, until } from "../helpers/wait.js";
import { openRawStream, preauthPayload, registerPayload } from "../../src/client/raw-stream.js";
import { xml } from "../../src/protocol/xml.js";

const COMPONENT_SECRET = "Cmp0nentSecretKnown4Tests";
const ADMIN_PASSWORD = "AdminPassw0rdKnown4Tests";
const EJABBERD_API_PASSWORD = "EjabberdApiPassw0rdKnown";
const marker = (token: string) => `[token:${createHash("sha256").update(token).digest("hex").slice(0, 4)}]`;

/** Every secret a run used: none may appear in its log. */
const secrets = new Set<string>([COMPONENT_SECRET, ADMIN_PASSWORD, EJABBERD_API_PASSWORD]);
const password = (label: string) => {
  const value = `Pw${label}Known4Tests`;
  secrets.add(value);
  return value;
};
const token = <T extends { token: string }>(created: T): T => {
  secrets.add(created.token);
  return created;
};

function expectNoSecret(text: string): void {
  // The SASL PLAIN payload of the admin account, which a stanza dump would show in base64.
  const plain = Buffer.from(`\0admin\0${ADMIN_PASSWORD}`).toString("base64");
  for (const secret of [...secrets, plain]) expect(text, `a secret appears in the log: ${secret.slice(0, 6)}…`).not.toContain(secret);
}

/**
 * The roster capability as the config wires it (createRoster through createApp): a contact invite
 * from `inviter` redeemed at the API ends with both users subscribed to each other.
 */
async function expectMutualSubscription(app: App, server: XmppServer, inviter: { username: string; password: string }, invitee: string): Promise<void> {
  const invite = token(await app.invites.create({ type: "contact", inviter: `${inviter.username}@${server.domain}`, allowRegistration: true }));
  const chosen = password(`Contact${[...invitee].reverse().join("")}`);
  expect(await apiRegister(app.http.url(), invite.token, invitee, chosen)).toMatchObject({ status: 201 });
  await rosterStepsDone(app, `${invitee}@${server.domain}`);
  expect((await rosterOf(server, invitee, chosen)).get(`${inviter.username}@${server.domain}`)?.subscription).toBe("both");
  expect((await rosterOf(server, inviter.username, inviter.password)).get(`${invitee}@${server.domain}`)?.subscription).toBe("both");
}

async function startApp(config: Partial<ConfigInput> & Pick<ConfigInput, "domain" | "component">, logs: CapturedLog): Promise<App> {
  const app = createApp(parseConfig({ database: ":memory:", http: { listen: "127.0.0.1:0" }, log_level: "trace", ...config }), logs.log, { backoff: { initialMs: 200, maxMs: 1000 } });
  await app.start();
  return app;
}

// The adapter cases also run each configuration's roster wiring (createRoster via createApp).
describe("logs at trace on Prosody: the traffic, never a secret", () => {
  let server: ProsodyServer;
  beforeAll(async () => {
    server = await startProsody({ componentSecret: COMPONENT_SECRET, bridge: true });
    await server.registerUser("admin", ADMIN_PASSWORD);
  });
  afterAll(() => server?.stop());
  const component = () => ({ service: server.componentService(), domain: server.componentDomain, secret: COMPONENT_SECRET });

  it("the XMPP door, the web door, the API, a reset, refusals and a bad API key (xep0133 adapter)", async () => {
    const logs = captureLog("trace");
    const app = await startApp({ domain: server.domain, component: component() }, logs);
    try {
      const base = app.http.url();
      const xmpp = token(await app.invites.create());
      const xmppPassword = password("XmppDoor");
      expect(await redeemAnonymously(server, xmpp.token, "romeo", xmppPassword)).toMatchObject({ ok: true });
      // Refused: the token is used up.
      expect(await redeemAnonymously(server, xmpp.token, "romeo2", password("Refused"))).toMatchObject({ ok: false, condition: "forbidden" });

      const web = token(await app.invites.create());
      const webPassword = password("WebDoor");
      expect((await webRegister(base, web.token, "juliet", webPassword)).status).toBe(200);

      const { secret: apiKey } = await app.apiKeys.create("log test");
      secrets.add(apiKey);
      const created = await api(base, apiKey, "POST", "/api/v1/invites", { note: "via the API" });
      expect(created.status).toBe(201);
      const apiToken = String(created.body["token"]);
      secrets.add(apiToken);
      const apiPassword = password("ApiDoor");
      expect(await apiRegister(base, apiToken, "mercutio", apiPassword)).toMatchObject({ status: 201 });

      const reset = token(await app.invites.create({ type: "reset", username: "mercutio" }));
      const resetPassword = password("Reset");
      expect(await apiRegister(base, reset.token, "mercutio", resetPassword)).toMatchObject({ status: 200, body: { action: "password-reset" } });
      expect(await canLogin(server, "mercutio", resetPassword)).toBe(true);

      // The app path: the server's own registration asks the component (bridge claim and consume).
      const app4 = token(await app.invites.create());
      const appPassword = password("AppPath");
      const stream = await openRawStream(server.c2sPort, server.domain);
      try {
        expect((await stream.iq("p", preauthPayload(app4.token))).type).toBe("result");
        expect((await stream.iq("r", registerPayload("tybalt", appPassword))).type).toBe("result");
      } finally {
        stream.close();
      }
      await until(async () => (await app.invites.get(app4.invite.id)).uses === 1, 10_000, "the app path's use to be recorded");

      const wrongKey = `${apiKey.slice(0, apiKey.lastIndexOf("_") + 1)}WrongSecretWrongSecret00`;
      secrets.add(wrongKey.slice(wrongKey.lastIndexOf("_") + 1));
      expect((await api(base, wrongKey, "GET", "/api/v1/invites")).status).toBe(401);
      expect((await apiRegister(base, apiToken, "mercutio2", password("ApiRefused"))).status).toBe(404);

      const text = logs.text();
      expectNoSecret(text);
      // Stanzas in and out of the component, masked.
      const lines = logs.lines();
      const stanzas = (msg: string) => lines.filter((line) => line["msg"] === msg).map((line) => String(line["stanza"]));
      expect(stanzas("xmpp in")).toContainEqual(expect.stringMatching(/^<iq [^>]*><query xmlns="jabber:iq:register"><username>romeo<\/username><password>\[redacted\]<\/password><\/query><\/iq>$/));
      expect(stanzas("xmpp in")).toContainEqual(expect.stringMatching(new RegExp(`<preauth (?=[^>]*xmlns="urn:xmpp:pars:0")[^>]*token="\\[token:${marker(xmpp.token).slice(7, 11)}\\]"`)));
      expect(stanzas("xmpp out")).toContainEqual(expect.stringContaining('<field var="password"><value>[redacted]</value></field><field var="password-verify"><value>[redacted]</value></field>'));
      expect(text).toContain("http://jabber.org/protocol/admin#add-user");
      expect(text).toContain("<handshake>[redacted]</handshake>");
      // The bridge's claim names the token by its marker and hides the password.
      expect(stanzas("xmpp in")).toContainEqual(expect.stringMatching(new RegExp(`<claim (?=[^>]*xmlns="urn:xmpp-invites:bridge:0")(?=[^>]*token="\\[token:${marker(app4.token).slice(7, 11)}\\]")[^>]*><password>\\[redacted\\]</password></claim>`)));
      // HTTP request lines and statuses, tokens as markers.
      expect(text).toContain(`"msg":"GET /invite/${marker(web.token)}/register 200"`);
      // The form redirects (POST, 303, GET) to the success page, whose address holds no secret.
      expect(text).toContain(`"msg":"POST /invite/${marker(web.token)}/register 303"`);
      expect(text).toMatch(/"msg":"GET \/done\/[\w-]+\.[\w-]+ 200"/);
      expect(text).toContain('"msg":"POST /api/v1/invites 201"');
      expect(text).toContain('"msg":"POST /api/v1/registrations 201"');
      expect(text).toContain('"msg":"GET /api/v1/invites 401"');
      // Adapter calls and refusals at debug.
      expect(lines).toContainEqual(expect.objectContaining({ msg: "adapter call", command: "create_account", account: `juliet@${server.domain}`, outcome: "ok" }));
      expect(lines).toContainEqual(expect.objectContaining({ msg: "adapter call", command: "change_password", account: `mercutio@${server.domain}`, outcome: "ok" }));
      expect(lines).toContainEqual(expect.objectContaining({ msg: "token refused", reason: "token-used" }));
      expect(lines).toContainEqual(expect.objectContaining({ msg: "registration refused", door: "api", reason: "token-used" }));
      expect(lines).toContainEqual(expect.objectContaining({ msg: "API request refused: unauthorized" }));
    } finally {
      await app.stop();
    }
  });

  it("the portal: a sign-in checked by Prosody (SCRAM), a refused one, an invite made and a sign-out; no password, session id or invite token", async () => {
    const logs = captureLog("trace");
    const app = await startApp({ domain: server.domain, component: component(), portal: { client_service: server.c2sService() } }, logs);
    try {
      const base = app.http.url();
      const userPassword = password("Portal");
      await server.registerUser("paris", userPassword);
      const post = async (path: string, fields: Record<string, string>, cookie = "") => {
        const page = await fetch(`${base}${path === "/account/login" ? path : "/account"}`, { headers: cookie ? { cookie } : {} });
        const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
        const body = new URLSearchParams({ csrf, ...fields }).toString();
        // A body and cookie dump from any call site is masked too.
        logs.log.debug({ headers: { cookie }, body }, `portal form ${path}`);
        return fetch(`${base}${path}`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", ...(cookie ? { cookie } : {}) }, body });
      };
      expect((await post("/account/login", { username: "paris", password: password("PortalWrong") })).status).toBe(403);
      const signedIn = await post("/account/login", { username: "paris", password: userPassword });
      expect(signedIn.status).toBe(303);
      const cookie = (signedIn.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
      secrets.add(cookie.slice(cookie.indexOf("=") + 1));
      const created = await post("/account/invites", {}, cookie);
      expect(created.status).toBe(200);
      secrets.add(/\/invite\/([A-Za-z0-9]{24})/.exec(await created.text())?.[1] ?? "no token");
      expect((await post("/account/logout", {}, cookie)).status).toBe(303);
      const text = logs.text();
      expectNoSecret(text);
      expect(text).toContain('"msg":"POST /account/login 403"');
      expect(text).toContain('"msg":"POST /account/login 303"');
      expect(text).toContain('"msg":"POST /account/invites 200"');
      expect(text).toContain(`password=${"[redacted]"}`);
      expect(logs.lines()).toContainEqual(expect.objectContaining({ msg: "signed in to the portal", jid: `paris@${server.domain}` }));
      expect(logs.lines()).toContainEqual(expect.objectContaining({ msg: "portal sign-in refused", username: "paris", outcome: "refused" }));
    } finally {
      await app.stop();
    }
  });

  it("an account request (its private status link) and a raw token pasted into xmpp-invites#accept", async () => {
    const logs = captureLog("trace");
    const app = await startApp({ domain: server.domain, component: component(), admins: [`admin@${server.domain}`], registration_requests: { enabled: true } }, logs);
    const paris = password("Paris");
    await server.registerUser("paris", paris);
    const session = await login(server, "paris", paris);
    try {
      const base = app.http.url();
      const home = await (await fetch(`${base}/`)).text();
      const sent = await fetch(`${base}/request`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ csrf: /name="csrf" value="([^"]+)"/.exec(home)?.[1] ?? "", username: "livia", message: "Capulet's niece" }).toString(),
      });
      expect(sent.status).toBe(303);
      const statusToken = /^\/request\/([A-Za-z0-9]+)\?sent=1$/.exec(sent.headers.get("location") ?? "")?.[1] ?? "";
      expect(statusToken).toMatch(/^[A-Za-z0-9]{24}$/);
      secrets.add(statusToken);
      expect((await fetch(`${base}/request/${statusToken}?sent=1`)).status).toBe(200);
      const [request] = await app.requests.list();
      await app.requests.approve(request?.id ?? "", `admin@${server.domain}`);
      const form = await (await fetch(`${base}/request/${statusToken}`)).text();
      const chosen = password("Request");
      const registered = await fetch(`${base}/request/${statusToken}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ csrf: /name="csrf" value="([^"]+)"/.exec(form)?.[1] ?? "", username: "livia", password: chosen, confirm: chosen }).toString(),
      });
      expect(registered.status).toBe(200);
      expect(await canLogin(server, "livia", chosen)).toBe(true);

      // Paris pastes Romeo's (here: the admin's) contact invite as a bare token.
      const contact = token(await app.invites.create({ type: "contact", inviter: `admin@${server.domain}` }));
      const reply = await session.iqCaller.request(xml("iq", { type: "set", to: server.componentDomain },
        xml("command", { xmlns: "http://jabber.org/protocol/commands", node: "xmpp-invites#accept", action: "execute" },
          xml("x", { xmlns: "jabber:x:data", type: "submit" }, xml("field", { var: "invite" }, xml("value", {}, contact.token))))), 5000);
      expect(reply.getChild("command")?.attrs.status).toBe("completed");
      await until(async () => (await app.invites.get(contact.invite.id)).uses === 1, 10_000, "the contact invite's use to be recorded");

      const text = logs.text();
      expectNoSecret(text);
      expect(text).toContain(`"msg":"POST /request 303"`);
      expect(text).toContain(`"msg":"GET /request/${marker(statusToken)}?sent=1 200"`);
      expect(text).toContain(`"msg":"POST /request/${marker(statusToken)} 303"`);
      expect(logs.lines().filter((line) => line["msg"] === "xmpp in").map((line) => String(line["stanza"])))
        .toContainEqual(expect.stringContaining(`<field var="invite"><value>${marker(contact.token)}</value></field>`));
    } finally {
      await session.stop().catch(() => undefined);
      await app.stop();
    }
  });

  it("the xep0133-account adapter: its admin session's stanzas, without the admin's password", async () => {
    const logs = captureLog("trace");
    const app = await startApp({
      domain: server.domain,
      component: component(),
      adapter: { type: "xep0133-account", jid: `admin@${server.domain}`, password: ADMIN_PASSWORD, service: server.c2sService() },
    }, logs);
    try {
      const invite = token(await app.invites.create());
      const chosen = password("AccountAdapter");
      expect(await apiRegister(app.http.url(), invite.token, "viaadmin", chosen)).toMatchObject({ status: 201 });
      expect(await canLogin(server, "viaadmin", chosen)).toBe(true);
      expect(app.roster.kind).toBe("xep0356");
      await expectMutualSubscription(app, server, { username: "admin", password: ADMIN_PASSWORD }, "rosaline");
      const text = logs.text();
      expectNoSecret(text);
      const session = logs.lines().filter((line) => line["session"] === "admin account");
      expect(session.some((line) => String(line["stanza"]).includes("urn:ietf:params:xml:ns:xmpp-sasl") && String(line["stanza"]).includes("[redacted]"))).toBe(true);
      expect(session.some((line) => line["msg"] === "xmpp out" && String(line["stanza"]).includes("admin#add-user") && String(line["stanza"]).includes("<value>[redacted]</value>"))).toBe(true);
    } finally {
      await app.stop();
    }
  });

  it("the prosodyctl adapter: its shell input and output, without the password", async () => {
    const logs = captureLog("trace");
    const app = await startApp({ domain: server.domain, component: component(), adapter: { type: "prosodyctl", config: server.configPath } }, logs);
    try {
      const invite = token(await app.invites.create());
      const chosen = password("Prosodyctl");
      expect(await apiRegister(app.http.url(), invite.token, "viashell", chosen)).toMatchObject({ status: 201 });
      expect(await canLogin(server, "viashell", chosen)).toBe(true);
      expect(app.roster.kind).toBe("prosodyctl");
      await expectMutualSubscription(app, server, { username: "admin", password: ADMIN_PASSWORD }, "balthasar");
      expectNoSecret(logs.text());
      expect(logs.lines()).toContainEqual(expect.objectContaining({ msg: "prosodyctl shell input", input: `user:create("viashell\\064${server.domain.replace(".", "\\046")}", "[redacted]")\n` }));
      expect(logs.lines()).toContainEqual(expect.objectContaining({ msg: "prosodyctl shell output" }));
    } finally {
      await app.stop();
    }
  });

  it("the CLI: start at trace, as an operator runs it, logs the traffic and no secret", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xmpp-invites-logcli-"));
    const configPath = join(dir, "config.json");
    writeFileSync(configPath, JSON.stringify({
      domain: server.domain,
      component: component(),
      database: join(dir, "invites.sqlite"),
      http: { listen: "127.0.0.1:0" },
      log_level: "trace",
      adapter: { type: "xep0133-account", jid: `admin@${server.domain}`, password: ADMIN_PASSWORD, service: server.c2sService() },
    }));
    const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", resolve("src/cli/main.ts"), ...args, "--config", configPath], { encoding: "utf8" });
    let child: ChildProcess | undefined;
    try {
      const checked = cli("check-config");
      expect(checked.status).toBe(0);
      expectNoSecret(checked.stdout + checked.stderr);
      const created = JSON.parse(cli("invite", "create", "--json").stdout) as { token: string };
      secrets.add(created.token);

      let output = "";
      child = spawn(process.execPath, ["--import", "tsx", resolve("src/cli/main.ts"), "start", "--config", configPath], { stdio: ["ignore", "pipe", "pipe"] });
      child.stdout?.on("data", (chunk: Buffer) => { output += chunk.toString("utf8"); });
      child.stderr?.on("data", (chunk: Buffer) => { output += chunk.toString("utf8"); });
      await until(() => output.includes("connected to the XMPP server") && output.includes("admin account connected"), 20_000, "the CLI to connect");
      const chosen = password("CliStart");
      expect(await redeemAnonymously(server, created.token, "viacli", chosen)).toMatchObject({ ok: true });
      const exited = new Promise((done) => child?.once("exit", done));
      child.kill("SIGTERM");
      await exited;
      child = undefined;
      expectNoSecret(output);
      expect(output).toContain("jabber:iq:register");
      expect(output).toContain(marker(created.token));
      expect(output).toContain('"msg":"adapter call"');
    } finally {
      child?.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("logs at trace on ejabberd: the ejabberd-api adapter's bodies, never its credentials", () => {
  let server: EjabberdServer;
  beforeAll(async () => {
    server = await startEjabberd({ componentSecret: COMPONENT_SECRET });
    await server.registerUser("apiadmin", EJABBERD_API_PASSWORD);
  }, 90_000);
  afterAll(() => server?.stop(), 60_000);

  it("request and response bodies at trace, passwords and the Authorization header masked", async () => {
    const logs = captureLog("trace");
    const app = await startApp({
      domain: server.domain,
      component: { service: server.componentService(), domain: server.componentDomain, secret: COMPONENT_SECRET },
      adapter: { type: "ejabberd-api", url: server.apiUrl(), username: `apiadmin@${server.domain}`, password: EJABBERD_API_PASSWORD },
    }, logs);
    try {
      const invite = token(await app.invites.create());
      const chosen = password("Ejabberd");
      expect(await apiRegister(app.http.url(), invite.token, "viaapi", chosen)).toMatchObject({ status: 201 });
      expect(await canLogin(server, "viaapi", chosen)).toBe(true);
      const reset = token(await app.invites.create({ type: "reset", username: "viaapi" }));
      const changed = password("EjabberdReset");
      expect(await apiRegister(app.http.url(), reset.token, "viaapi", changed)).toMatchObject({ status: 200 });
      expect(app.roster.kind).toBe("ejabberd-api");
      await expectMutualSubscription(app, server, { username: "viaapi", password: changed }, "abram");
      expectNoSecret(logs.text());
      const lines = logs.lines();
      expect(lines).toContainEqual(expect.objectContaining({ msg: "ejabberd API request", body: `{"user":"viaapi","host":"${server.domain}","password":"[redacted]"}` }));
      expect(lines).toContainEqual(expect.objectContaining({ msg: "ejabberd API request", body: `{"user":"viaapi","host":"${server.domain}","newpass":"[redacted]"}` }));
      expect(lines).toContainEqual(expect.objectContaining({ msg: "ejabberd API response", command: "register", status: 200 }));
      expect(lines).toContainEqual(expect.objectContaining({ msg: "xmpp out", stanza: "<handshake>[redacted]</handshake>" }));
    } finally {
      await app.stop();
    }
  }, 60_000);
});
