// The ejabberd HTTP API adapter against a fake mod_http_api on 127.0.0.1:0, for the answers a
// real ejabberd gives only in odd states (HTTP 200 with body 1, 500s, silence).
import { type Server, createServer } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { createEjabberdApi } from "../../src/adapters/server/ejabberd-api.js";

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function fakeApi(answer: (command: string, body: Record<string, unknown>) => { status: number; body: unknown } | undefined): Promise<string> {
  server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk: Buffer) => (text += chunk.toString()));
    request.on("end", () => {
      const reply = answer(request.url?.replace("/api/", "") ?? "", JSON.parse(text || "{}") as Record<string, unknown>);
      if (!reply) return; // never answers
      response.writeHead(reply.status, { "content-type": "application/json" });
      response.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/api`;
}

describe("ejabberd-api adapter", () => {
  it("reads HTTP 200 with body 1 as a failure (rescode commands)", async () => {
    const url = await fakeApi((command) => (command === "check_account" ? { status: 200, body: 0 } : { status: 200, body: 1 }));
    const { adapter, roster } = createEjabberdApi({ url, domain: "example.test", timeoutMs: 1000 });
    expect(await adapter.changePassword({ username: "a", password: "p" })).toMatchObject({ ok: false, reason: "rejected" });
    expect(await roster.setSubscribed("a@example.test", { jid: "b@example.test", groups: [] })).toMatchObject({ ok: false, reason: "rejected" });
  });

  const STATUS = (version: string) => `The node ejabberd@localhost is started. Status: started  ejabberd ${version} is running in that node`;

  /** A fake API of the given ejabberd version, whose add_rosteritem takes `shape` (API version 1: groups). */
  async function versionedApi(version: string | undefined, shape: "groups" | "group") {
    const calls: Array<{ command: string; body: Record<string, unknown> }> = [];
    const url = await fakeApi((command, body) => {
      calls.push({ command, body });
      if (command === "status") return version === undefined ? { status: 403, body: { status: "error", code: 32, message: "AccessRules: Account does not have the right to perform the operation." } } : { status: 200, body: STATUS(version) };
      const other = shape === "groups" ? "group" : "groups";
      if (other in body) return { status: 400, body: { status: "error", code: 10, message: `Request have unknown arguments: [${other}]` } };
      return { status: 200, body: 0 };
    });
    return { calls, api: createEjabberdApi({ url, domain: "example.test", timeoutMs: 1000 }) };
  }
  const item = { localuser: "romeo", localhost: "example.test", user: "juliet", host: "example.test", nick: "", subs: "both" };

  it("ejabberd 24.02 and later (API version 1): add_rosteritem with subs=both and the groups as a list", async () => {
    const { calls, api } = await versionedApi("24.12", "groups");
    expect(await api.version()).toBe("24.12");
    expect(await api.roster.setSubscribed("romeo@example.test", { jid: "juliet@example.test", groups: ["Family", "Verona"] })).toEqual({ ok: true });
    expect(calls.filter((c) => c.command === "add_rosteritem").map((c) => c.body)).toEqual([{ ...item, groups: ["Family", "Verona"] }]);
  });

  it("ejabberd 23.01 (API version 0): add_rosteritem with the groups joined by ';'", async () => {
    const { calls, api } = await versionedApi("23.01", "group");
    expect(await api.roster.setSubscribed("romeo@example.test", { jid: "juliet@example.test", groups: ["Family", "Verona"] })).toEqual({ ok: true });
    expect(calls.filter((c) => c.command === "add_rosteritem").map((c) => c.body)).toEqual([{ ...item, group: "Family;Verona" }]);
  });

  it("a version it may not ask, or an API pinned to the old shape: the 400 naming the argument switches it, once", async () => {
    const { calls, api } = await versionedApi(undefined, "group");
    expect(await api.version()).toBeUndefined();
    expect(await api.roster.setSubscribed("romeo@example.test", { jid: "juliet@example.test", groups: ["Family"] })).toEqual({ ok: true });
    expect(await api.roster.setSubscribed("juliet@example.test", { jid: "romeo@example.test", groups: [] })).toEqual({ ok: true });
    expect(calls.filter((c) => c.command === "add_rosteritem").map((c) => Object.keys(c.body).filter((k) => k.startsWith("group")))).toEqual([["groups"], ["group"], ["group"]]);
  });

  it("ejabberd 23.01 without its version: the 400 naming the missing 'group' switches it, once; a wrapped status still names the version", async () => {
    const calls: Array<Record<string, unknown>> = [];
    const url = await fakeApi((command, body) => {
      if (command === "status") return { status: 200, body: { res: 0, text: STATUS("23.01") } };
      calls.push(body);
      // 23.01 ignores arguments it does not know and names the one it misses.
      return "group" in body ? { status: 200, body: 0 } : { status: 400, body: { status: "error", code: 10, message: "Request have missing argument: group" } };
    });
    const api = createEjabberdApi({ url, domain: "example.test", timeoutMs: 1000 });
    expect(await api.roster.setSubscribed("romeo@example.test", { jid: "juliet@example.test", groups: ["Family"] })).toEqual({ ok: true });
    expect(await api.roster.setSubscribed("juliet@example.test", { jid: "romeo@example.test", groups: [] })).toEqual({ ok: true });
    expect(calls.map((body) => Object.keys(body).filter((k) => k.startsWith("group")))).toEqual([["group"], ["group"]]);
    expect(await api.version()).toBe("23.01");
  });

  it("an old API that only says 'missing argument: group' after a list was sent: switched, once", async () => {
    const calls: Array<Record<string, unknown>> = [];
    const url = await fakeApi((command, body) => {
      if (command === "status") return { status: 403, body: { status: "error", code: 32, message: "AccessRules: Account does not have the right to perform the operation." } };
      calls.push(body);
      return "group" in body ? { status: 200, body: 0 } : { status: 400, body: { status: "error", code: 10, message: "Request have missing argument: group" } };
    });
    const api = createEjabberdApi({ url, domain: "example.test", timeoutMs: 1000 });
    expect(await api.roster.setSubscribed("romeo@example.test", { jid: "juliet@example.test", groups: ["Family"] })).toEqual({ ok: true });
    expect(await api.roster.setSubscribed("juliet@example.test", { jid: "romeo@example.test", groups: [] })).toEqual({ ok: true });
    expect(calls.map((body) => Object.keys(body).filter((k) => k.startsWith("group")))).toEqual([["groups"], ["group"], ["group"]]);
  });

  it("409 on register means the account exists; 5xx is unavailable", async () => {
    let status = 409;
    const url = await fakeApi(() => ({ status, body: { status: "error", code: 10090, message: "User already registered" } }));
    const { adapter } = createEjabberdApi({ url, domain: "example.test", timeoutMs: 1000 });
    expect(await adapter.createAccount({ username: "a", password: "p" })).toMatchObject({ ok: false, reason: "exists" });
    status = 500;
    expect(await adapter.createAccount({ username: "a", password: "p" })).toMatchObject({ ok: false, reason: "unavailable" });
  });

  it("a server that never answers times out as unavailable; basic auth is sent when configured", async () => {
    let auth: string | undefined;
    const url = await fakeApi(() => undefined);
    server?.on("request", (request) => (auth = request.headers.authorization));
    const { adapter } = createEjabberdApi({ url, domain: "example.test", username: "admin@example.test", password: "s", timeoutMs: 300 });
    const started = Date.now();
    expect(await adapter.createAccount({ username: "a", password: "p" })).toMatchObject({ ok: false, reason: "unavailable", detail: "register: timed out" });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(auth).toBe(`Basic ${Buffer.from("admin@example.test:s").toString("base64")}`);
  });
});
