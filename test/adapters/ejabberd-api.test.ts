// The ejabberd HTTP API adapter against a fake mod_http_api on 127.0.0.1:0, for the answers a
// real ejabberd gives only in odd states (HTTP 200 with body 1, 500s, silence).
import { type Server, createServer } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { createEjabberdApi } from "../../src/adapters/ejabberd-api.js";

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function fakeApi(answer: (command: string, body: Record<string, string>) => { status: number; body: unknown } | undefined): Promise<string> {
  server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk: Buffer) => (text += chunk.toString()));
    request.on("end", () => {
      const reply = answer(request.url?.replace("/api/", "") ?? "", JSON.parse(text || "{}") as Record<string, string>);
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

  it("sends add_rosteritem with subs=both and the groups", async () => {
    const calls: Array<Record<string, string>> = [];
    const url = await fakeApi((_command, body) => {
      calls.push(body);
      return { status: 200, body: 0 };
    });
    const { roster } = createEjabberdApi({ url, domain: "example.test", timeoutMs: 1000 });
    expect(await roster.setSubscribed("romeo@example.test", { jid: "juliet@example.test", groups: ["Family", "Verona"] })).toEqual({ ok: true });
    expect(calls).toEqual([{ localuser: "romeo", localhost: "example.test", user: "juliet", host: "example.test", nick: "", group: "Family;Verona", subs: "both" }]);
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
