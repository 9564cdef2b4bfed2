// The portal's sign-in checked by the real server: a SASL login on its client port (SCRAM when
// offered). The right password opens a session; a wrong one gets the same answer as an unknown
// user; the 11th failure in 15 minutes gets 429 with the wait. Nothing about the password or the
// session id reaches the log at trace.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../../src/app.js";
import { chooseMechanism, saslLogin } from "../../src/client/sasl-login.js";
import { parseConfig } from "../../src/config/load.js";
import { type EjabberdServer, isEjabberdInstalled, startEjabberd } from "../../tools/demo/ejabberd.js";
import { type ProsodyServer, startProsody } from "../../tools/demo/prosody.js";
import { captureLog } from "../helpers/logger.js";

const PASSWORD = "Portal-Passw0rd-Known4Tests";

interface Server {
  readonly domain: string;
  readonly componentDomain: string;
  readonly componentSecret: string;
  componentService(): string;
  c2sService(): string;
}

async function signIn(base: string, username: string, password: string, cookie?: string): Promise<Response> {
  const page = await fetch(`${base}/account/login`);
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
  return fetch(`${base}/account/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams({ csrf, username, password }).toString(),
  });
}

const alertOf = (body: string) => /<p class="alert" role="alert">([^<]*)<\/p>/.exec(body)?.[1];

function signInCases(name: string, server: () => Server, expected: { mechanism: "SCRAM-SHA-1" | "SCRAM-SHA-256" }): void {
  it(`${name}: offers ${expected.mechanism} (chosen over PLAIN); the right password opens a session, /account shows the user; nothing secret logged at trace`, async () => {
    const s = server();
    const probe = await saslLogin({ service: s.c2sService(), domain: s.domain, timeoutMs: 5000 }, undefined);
    expect(chooseMechanism(probe.mechanisms, probe.secure)).toBe(expected.mechanism);
    const logs = captureLog("trace");
    const app = await start(s, logs.log);
    try {
      const res = await signIn(app.http.url(), "romeo", PASSWORD);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/account");
      const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
      const sessionId = cookie.split("=")[1] ?? "";
      expect(sessionId).toMatch(/^[A-Za-z0-9]{48}$/);
      const account = await fetch(`${app.http.url()}/account`, { headers: { cookie } });
      expect(account.status).toBe(200);
      expect(await account.text()).toContain(`<span class="jid">romeo@${s.domain}</span>`);
      const text = logs.text();
      expect(text).toContain('"msg":"signed in to the portal"');
      expect(text).toContain('"msg":"POST /account/login 303"');
      for (const secret of [PASSWORD, sessionId, Buffer.from(PASSWORD).toString("base64")]) expect(text).not.toContain(secret);
    } finally {
      await app.stop();
    }
  });

  it(`${name}: a wrong password and an unknown user get the same answer; after 10 failures from one address the 11th attempt gets 429 with the wait, even with the right password`, async () => {
    const s = server();
    const app = await start(s, captureLog("info").log);
    try {
      const base = app.http.url();
      const wrong = await signIn(base, "romeo", "not-the-password");
      const unknown = await signIn(base, "nobody-here", "not-the-password");
      expect([wrong.status, unknown.status]).toEqual([403, 403]);
      expect(wrong.headers.get("set-cookie")).toBeNull();
      const [wrongText, unknownText] = [alertOf(await wrong.text()), alertOf(await unknown.text())];
      expect(wrongText).toBe("The username or the password is not right.");
      expect(unknownText).toBe(wrongText);
      for (let i = 3; i <= 10; i++) expect((await signIn(base, "romeo", `guess-${i}`)).status).toBe(403);
      const limited = await signIn(base, "romeo", PASSWORD);
      expect(limited.status).toBe(429);
      const wait = Number(limited.headers.get("retry-after"));
      expect(wait).toBeGreaterThan(14 * 60);
      expect(wait).toBeLessThanOrEqual(15 * 60);
      expect(alertOf(await limited.text())).toBe("Too many failed attempts. Please try again in 15 minutes.");
    } finally {
      await app.stop();
    }
  });
}

async function start(s: Server, log: ReturnType<typeof captureLog>["log"]): Promise<App> {
  const app = createApp(parseConfig({
    domain: s.domain,
    component: { service: s.componentService(), domain: s.componentDomain, secret: s.componentSecret },
    database: ":memory:",
    http: { listen: "127.0.0.1:0" },
    log_level: "trace",
    portal: { client_service: s.c2sService() },
  }), log, { backoff: { initialMs: 200, maxMs: 1000 } });
  await app.start();
  return app;
}

describe("portal sign-in on Prosody (RFC 6120 §6: SASL on the client port)", () => {
  let prosody: ProsodyServer;
  beforeAll(async () => {
    prosody = await startProsody();
    await prosody.registerUser("romeo", PASSWORD);
  });
  afterAll(() => prosody?.stop());
  signInCases("Prosody", () => prosody, { mechanism: "SCRAM-SHA-1" });
});

describe.runIf(isEjabberdInstalled())("portal sign-in on ejabberd (RFC 6120 §6: SASL on the client port)", () => {
  let ejabberd: EjabberdServer;
  beforeAll(async () => {
    ejabberd = await startEjabberd();
    await ejabberd.registerUser("romeo", PASSWORD);
  });
  afterAll(() => ejabberd?.stop());
  signInCases("ejabberd", () => ejabberd, { mechanism: "SCRAM-SHA-256" });
});
