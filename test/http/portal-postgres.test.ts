// Two instances on one PostgreSQL database (several instances, one shared store): a session opened
// on one is known to the other, a sign-out on either ends it everywhere, and failed sign-ins and
// the web door's rate limits are counted across both, so no limit can be dodged by landing on
// another instance.
import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PasswordCheck } from "../../src/invites/ports/password.js";
import { type PostgresServer, startPostgres } from "../../tools/demo/postgres.js";
import type { FakeAdapter } from "../helpers/fake-adapter.js";
import { type Harness, createHarness } from "../helpers/xmpp-harness.js";

const check: PasswordCheck = { check: async (username, password) => (username === "romeo" && password === "right horse battery" ? "valid" : "invalid") };
let server: PostgresServer;
let a: Harness;
let b: Harness;

beforeAll(async () => {
  server = await startPostgres();
  const config = {
    database: server.url,
    http: { public_url: "https://invite.example.test", listen: "127.0.0.1:0", rate_limit: { max: 4, window: 600 } },
    registration_requests: { enabled: true, rate_limit: { max: 2, window: 3600 } },
  };
  a = createHarness(config, { passwordCheck: check });
  b = createHarness(config, { passwordCheck: check });
  await Promise.all([a.app.stores.ready(), b.app.stores.ready()]);
}, 60_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  await server?.stop();
});

const inject = (h: Harness, options: InjectOptions) => h.app.http.fastify.inject(options);
const form = { "content-type": "application/x-www-form-urlencoded" };
const csrfOf = (body: string) => /name="csrf" value="([^"]+)"/.exec(body)?.[1] ?? "";

async function login(h: Harness, password: string, ip = "203.0.113.9") {
  const page = await inject(h, { method: "GET", url: "/account/login" });
  return inject(h, { method: "POST", url: "/account/login", headers: form, remoteAddress: ip, payload: new URLSearchParams({ csrf: csrfOf(page.body), username: "romeo", password }).toString() });
}

describe("portal sessions on a shared PostgreSQL", () => {
  it("a session opened on one instance works on the other; signing out on the other ends it on both", async () => {
    const res = await login(a, "right horse battery");
    expect(res.statusCode).toBe(303);
    const cookie = String(res.headers["set-cookie"]).split(";")[0] ?? "";
    const onB = await inject(b, { method: "GET", url: "/account", headers: { cookie } });
    expect(onB.statusCode).toBe(200);
    // The CSRF token of a form on one instance is accepted by the other (both derive it from the shared secret).
    const out = await inject(b, { method: "POST", url: "/account/logout", headers: { ...form, cookie }, payload: `csrf=${csrfOf(onB.body)}` });
    expect(out.statusCode).toBe(303);
    expect((await inject(a, { method: "GET", url: "/account", headers: { cookie } })).statusCode).toBe(303);
  });

  it("failures on both instances count toward one limit", async () => {
    for (let i = 0; i < 10; i++) expect((await login(i % 2 ? a : b, `guess ${i}`, "198.51.100.50")).statusCode).toBe(403);
    expect((await login(a, "right horse battery", "198.51.100.51")).statusCode).toBe(429);
    expect((await login(b, "right horse battery", "198.51.100.52")).statusCode).toBe(429);
  });
});

describe("rate limits on a shared PostgreSQL", () => {
  it("registration attempts at the web form and the API of both instances count toward one limit; the 429's Retry-After is the shared window's end", async () => {
    const { token } = await a.app.invites.create({ maxUses: 10 });
    for (const h of [a, b]) (h.adapter as FakeAdapter).accounts.set("taken", "x");
    const ip = "192.0.2.60";
    const api = (h: Harness) => inject(h, { method: "POST", url: "/api/v1/registrations", remoteAddress: ip, payload: { token, username: "taken", password: "9876543210!x" } });
    const web = async (h: Harness) => {
      const page = await inject(h, { method: "GET", url: `/invite/${token}/register` });
      const fields = { csrf: csrfOf(page.body), username: "taken", password: "9876543210!x", confirm: "9876543210!x" };
      return inject(h, { method: "POST", url: `/invite/${token}/register`, headers: form, remoteAddress: ip, payload: new URLSearchParams(fields).toString() });
    };
    const statuses = [(await web(a)).statusCode, (await api(b)).statusCode, (await web(b)).statusCode, (await api(a)).statusCode];
    expect(statuses).toEqual([409, 409, 409, 409]);
    // Two minutes on at the other instance: its wait is what is left of the window the first one opened.
    b.clock.advance(120_000);
    const refused = await api(b);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers["retry-after"]).toBe("480");
    const page = await web(a);
    expect(page.statusCode).toBe(429);
    expect(page.headers["retry-after"]).toBe("600");
  });

  it("account requests through both instances count toward one limit", async () => {
    const request = async (h: Harness, username: string) => {
      const page = await inject(h, { method: "GET", url: "/" });
      return inject(h, { method: "POST", url: "/request", headers: form, remoteAddress: "192.0.2.61", payload: new URLSearchParams({ csrf: csrfOf(page.body), username, message: "" }).toString() });
    };
    expect([(await request(a, "carol")).statusCode, (await request(b, "dave")).statusCode, (await request(a, "erin")).statusCode]).toEqual([303, 303, 429]);
    expect((await a.app.requests.list()).map((r) => r.username).sort()).toEqual(["carol", "dave"]);
  });
});
