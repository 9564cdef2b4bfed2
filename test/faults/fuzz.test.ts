// Hostile input on the real transports: generated odd stanzas from a raw client through a real
// Prosody to the component (its own process), and malformed HTTP on a raw socket. Every IQ get/set
// is answered exactly once, the process never dies and its memory stays bounded; HTTP always gets a
// 4xx with a short message, never a 500 and never a stack trace.
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProsodyServer, startProsody } from "../../tools/demo/prosody.js";
import { type ComponentProcess, createInvites, escapeXml, rawClient, registerOverApi, startComponent, until, writeComponentConfig } from "./support.js";

let server: ProsodyServer;
let component: ComponentProcess;
let token: string;

beforeAll(async () => {
  server = await startProsody();
  const configPath = join(server.dir, "config.json");
  const databasePath = join(server.dir, "state", "invites.sqlite");
  writeComponentConfig(server, configPath, databasePath, { adapter: { type: "xep0133", timeout: 3 } });
  const [invite] = await createInvites(server, databasePath, 1, 10);
  token = invite?.token ?? "";
  component = await startComponent(configPath);
});

afterAll(async () => {
  await component?.kill("SIGTERM");
  await server?.stop();
});

/** A small deterministic generator, so a failure can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const REGISTER = "jabber:iq:register";
const PARS = "urn:xmpp:pars:0";

/** One generated stanza: its XML and, for IQ get/set with an id, the id that must be answered once. */
function oddStanza(random: () => number, n: number, to: string): { xml: string; id?: string } {
  const id = `f${n}`;
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const type = pick(["get", "set"] as const);
  const field = (name: string, value: string) => `<field var='${name}'><value>${escapeXml(value)}</value></field>`;
  const form = (fields: string, formType = REGISTER, xType = "submit") =>
    `<x xmlns='jabber:x:data' type='${xType}'><field var='FORM_TYPE' type='hidden'><value>${formType}</value></field>${fields}</x>`;
  const iq = (payload: string, t: string = type) => ({ xml: `<iq type='${t}' id='${id}' to='${to}'>${payload}</iq>`, id });
  switch (n % 24) {
    case 0: return iq(`<query xmlns='urn:example:unknown:${n}'/>`);
    case 1: return iq(`<x${n} xmlns='urn:x:${"z".repeat(Math.floor(random() * 200))}'><a/><b/></x${n}>`);
    case 2: return { xml: `<iq type='${pick(["bogus", "", "GET", "results"])}' id='${id}' to='${to}'><query xmlns='${REGISTER}'/></iq>` };
    case 3: return { xml: `<iq type='${type}' to='${to}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>` };
    case 4: return iq(`<query xmlns='${REGISTER}' junk='${"A".repeat(20_000 + Math.floor(random() * 20_000))}'/>`);
    case 5: return iq(`<query xmlns='${REGISTER}'><username>${"u".repeat(30_000)}</username><password>${"p".repeat(30_000)}</password></query>`, "set");
    case 6: return iq(`${"<n xmlns='urn:deep'>".repeat(150)}${"</n>".repeat(150)}`);
    case 7: return iq(`<query xmlns='${REGISTER}'>${"<username>a</username>".repeat(1500)}</query>`, "set");
    case 8: return iq(`<query xmlns='${REGISTER}'>${form(field("username", "dup") + field("username", "dup2") + field("password", "pw-longenough-1") + field("password", "other-pw-22"))}</query>`, "set");
    case 9: return iq(`<query xmlns='${REGISTER}'>${form(field("password", "pw-longenough-1"))}</query>`, "set");
    case 10: return iq(`<query xmlns='${REGISTER}'>${form(field("username", "x"), "urn:wrong:form")}</query>`, "set");
    case 11: return iq(`<query xmlns='${REGISTER}'>${form(field("username", "x"), REGISTER, "form")}</query>`, "set");
    case 12: return iq(`<preauth xmlns='${PARS}'/>`, "set");
    case 13: return iq(`<preauth xmlns='${PARS}' token='${"T".repeat(5000)}'/>`, "set");
    case 14: return iq(`<query xmlns='http://jabber.org/protocol/disco#info'><preauth xmlns='${PARS}' token='${token}'/></query>`, "get");
    case 15: return iq(`<query xmlns='${REGISTER}'><preauth xmlns='${PARS}' token='a'/><preauth xmlns='${PARS}' token='b'/><username>twopre${n}</username><password>pw-longenough-1</password></query>`, "set");
    case 16: return { xml: `<message to='${to}' type='${pick(["chat", "normal", "weird"])}'><body>${"m".repeat(Math.floor(random() * 5000))}</body><preauth xmlns='${PARS}' token='${token}'/></message>` };
    case 17: return { xml: `<presence to='${to}' type='${pick(["subscribe", "probe", "nonsense", "unavailable"])}'><preauth xmlns='${PARS}' token='${token}'/></presence>` };
    case 18: return iq(`<command xmlns='http://jabber.org/protocol/commands' node='${pick(["urn:xmpp:invite#invite", "nope", ""])}' action='${pick(["execute", "next", "cancel", "complete", "bogus"])}' sessionid='${"s".repeat(Math.floor(random() * 300))}'>${form(field("expire", "-1"))}</command>`, "set");
    case 19: return iq(`<query xmlns='http://jabber.org/protocol/disco#items' node='${escapeXml("<>&'\"")}${"n".repeat(Math.floor(random() * 1000))}'/>`, "get");
    case 20: return { xml: `<iq type='${type}' id='${id}' to='nobody@${to}/res'><query xmlns='${REGISTER}'/></iq>`, id };
    case 21: return { xml: `<iq type='result' id='${id}r' to='${to}'><query xmlns='${REGISTER}'/></iq>` };
    case 22: return iq(`<query xmlns='${REGISTER}'><username>\u{1F600}\u0000x</username><password>pw-longenough-1</password><remove/></query>`.replace("\u0000", ""), "set");
    default: return iq(`<ping xmlns='urn:xmpp:ping'>${"<c/>".repeat(Math.floor(random() * 3000))}</ping>`);
  }
}

describe("hostile input on real transports", () => {
  it("≥ 1000 odd stanzas through Prosody: every IQ get/set answered exactly once, no crash, memory bounded", async () => {
    const random = prng(0x0dd5);
    const client = await rawClient(server);
    const rssBefore = component.rssKb();
    const expected: string[] = [];
    let sent = 0;
    for (let n = 0; n < 1200; n++) {
      const stanza = oddStanza(random, n, server.componentDomain);
      client.send(stanza.xml);
      sent += 1;
      if (stanza.id) expected.push(stanza.id);
      // Paced in small batches, as a busy client would send them.
      if (n % 50 === 49) await new Promise((resolveWait) => setTimeout(resolveWait, 20));
    }
    const answered = () => {
      const counts = new Map<string, number>();
      for (const stanza of client.received) {
        const id = stanza.attrs.id;
        if (stanza.name === "iq" && id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      return counts;
    };
    await until(() => expected.every((id) => answered().has(id)) || client.closed, 60_000, "answers to every IQ");
    await new Promise((resolveWait) => setTimeout(resolveWait, 500)); // any duplicate would arrive by now
    const counts = answered();
    const missing = expected.filter((id) => !counts.has(id));
    const twice = expected.filter((id) => (counts.get(id) ?? 0) > 1);
    // A result IQ is never answered (RFC 6120 §8.2.3); an IQ of no valid type may get bad-request.
    const unasked = [...counts.keys()].filter((id) => id.endsWith("r"));
    const rssAfter = component.rssKb();
    const streamOpen = !client.closed;
    client.close();
    // Still serving: a normal registration after the storm.
    const after = await registerOverApi(component.httpUrl, token, "afterstorm", "pw-longenough-1");
    console.log("stanza fuzz:", JSON.stringify({ sent, iqGetSet: expected.length, missing: missing.length, answeredTwice: twice.length, repliesToNonRequests: unasked.length, rssKb: { before: rssBefore, after: rssAfter }, streamOpen, registrationAfter: after.ok }));
    expect(sent).toBeGreaterThanOrEqual(1000);
    expect(streamOpen).toBe(true);
    expect(missing).toEqual([]);
    expect(twice).toEqual([]);
    expect(unasked).toEqual([]);
    expect(component.exitReport()).toBeUndefined();
    expect(rssAfter).toBeLessThan(rssBefore + 100 * 1024);
    expect(after.ok).toBe(true);
  }, 90_000);

  it("malformed HTTP: always a 4xx with a short message, never a 500, never a stack trace", async () => {
    const { hostname, port } = new URL(component.httpUrl);
    const raw = (request: string | Buffer) => new Promise<{ status: number; body: string }>((resolveRaw) => {
      const socket = connect(Number(port), hostname);
      const chunks: Buffer[] = [];
      socket.on("data", (chunk) => chunks.push(chunk));
      socket.on("error", () => undefined);
      socket.on("close", () => {
        const text = Buffer.concat(chunks).toString("latin1");
        resolveRaw({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), body: text.slice(text.indexOf("\r\n\r\n") + 4) });
      });
      socket.write(request);
      socket.end();
    });
    const req = (method: string, path: string, headers: Record<string, string> = {}, body: string | Buffer = "") => {
      const head = [`${method} ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, "Connection: close", ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
        ...(body.length ? [`Content-Length: ${Buffer.byteLength(body)}`] : []), "", ""].join("\r\n");
      return Buffer.concat([Buffer.from(head, "latin1"), Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8")]);
    };
    const json = { "Content-Type": "application/json" };
    const cases: Array<[string, Buffer | string]> = [
      ["oversized JSON body", req("POST", "/api/v1/registrations", json, JSON.stringify({ token, username: "big", password: "x".repeat(100_000) }))],
      ["oversized form body", req("POST", `/invite/${token}/register`, { "Content-Type": "application/x-www-form-urlencoded" }, `username=a&password=${"x".repeat(50_000)}`)],
      ["text/plain body", req("POST", "/api/v1/registrations", { "Content-Type": "text/plain" }, "token=x")],
      ["XML body", req("POST", "/api/v1/registrations", { "Content-Type": "application/xml" }, "<a/>")],
      ["multipart body", req("POST", `/invite/${token}/register`, { "Content-Type": "multipart/form-data; boundary=x" }, "--x\r\n\r\n--x--")],
      ["no content type", req("POST", "/api/v1/registrations", {}, "{}")],
      ["invalid JSON", req("POST", "/api/v1/registrations", json, "{\"token\":")],
      ["invalid UTF-8 JSON", req("POST", "/api/v1/registrations", json, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]))],
      ["invalid UTF-8 form", req("POST", `/invite/${token}/register`, { "Content-Type": "application/x-www-form-urlencoded" }, Buffer.from([0x75, 0x3d, 0xc3, 0x28, 0xff]))],
      ["bad percent-encoding in path", req("GET", "/invite/%E0%A4%A")],
      ["invalid UTF-8 in path", req("GET", "/invite/%FF%FE%FD")],
      ["bad percent-encoding in query", req("GET", "/api/v1/invites?limit=%ZZ", { Authorization: "Bearer x" })],
      ["raw bytes in path", Buffer.concat([Buffer.from("GET /invite/"), Buffer.from([0xff, 0x00, 0x80]), Buffer.from(" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")])],
      ["path traversal", req("GET", "/static/../../../../etc/passwd")],
      ["encoded path traversal", req("GET", "/static/..%2f..%2f..%2fetc%2fpasswd")],
      ["dot-dot-dot traversal", req("GET", "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd")],
      ["backslash traversal", req("GET", "/static/..\\..\\..\\etc\\passwd")],
      ["traversal in invite", req("GET", "/invite/..%2f..%2fapi%2fv1%2finvites")],
      ["header injection", `GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rX-Injected: 1\r\nConnection: close\r\n\r\n`],
      ["LF in header value", `GET / HTTP/1.1\r\nHost: x\r\nX-A: a\nSet-Cookie: injected=1\r\nConnection: close\r\n\r\n`],
      ["NUL in header", `GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\nConnection: close\r\n\r\n`],
      ["very long token", req("GET", `/invite/${"A".repeat(8000)}`)],
      ["very long token, register", req("POST", `/invite/${"B".repeat(8000)}/register`, { "Content-Type": "application/x-www-form-urlencoded" }, "username=a")],
      ["URL past the header limit", req("GET", `/invite/${"C".repeat(20_000)}`)],
      ["header past the limit", req("GET", "/", { "X-Big": "h".repeat(20_000) })],
      ["very long token in API", req("POST", "/api/v1/registrations", json, JSON.stringify({ token: "D".repeat(4000), username: "a", password: "pw-longenough-1" }))],
      ["wrong JSON shape", req("POST", "/api/v1/registrations", json, JSON.stringify([1, 2, 3]))],
      ["extra JSON keys", req("POST", "/api/v1/registrations", json, JSON.stringify({ token, username: "a", password: "b", admin: true }))],
      ["JSON null", req("POST", "/api/v1/registrations", json, "null")],
      ["garbage request line", "NOT-HTTP\r\n\r\n"],
      ["unknown method", req("BREW", "/")],
      ["TRACE", req("TRACE", "/api/v1/invites")],
      ["bad Bearer", req("GET", "/api/v1/invites", { Authorization: `Bearer ${"\u00ff".repeat(300)}` })],
      ["no Host", "GET / HTTP/1.1\r\nConnection: close\r\n\r\n"],
      ["chunked garbage", `POST /api/v1/registrations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
      ["content-length mismatch", `POST /api/v1/registrations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 7\r\nConnection: close\r\n\r\n{}`],
      ["form without CSRF", req("POST", `/invite/${token}/register`, { "Content-Type": "application/x-www-form-urlencoded" }, "username=a&username=b&password=c")],
      ["cross-site form", req("POST", `/invite/${token}/register`, { "Content-Type": "application/x-www-form-urlencoded", Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site" }, "username=a")],
    ];
    // Generated ones on top: random bytes in paths and bodies.
    const random = prng(0x4777);
    for (let i = 0; i < 160; i++) {
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 60) }, () => Math.floor(random() * 256)));
      const path = `/${["invite", "api/v1/registrations", "static", "api/v1/invites"][i % 4]}/${encodeURIComponent(bytes.toString("latin1")).replace(/%2F/gi, i % 3 ? "%2F" : "/")}`;
      cases.push([`generated path ${i}`, req(i % 2 ? "GET" : "POST", path, i % 2 ? {} : json, i % 2 ? "" : bytes)]);
    }
    const stackTrace = /\n\s+at .+:\d+:\d+|node_modules|\/work\/|Error: .*\n\s+at /;
    const results: Array<{ what: string; status: number; length: number }> = [];
    const bad: string[] = [];
    for (const [what, request] of cases) {
      const { status, body } = await raw(request);
      results.push({ what, status, length: body.length });
      if (status < 400 || status >= 500) bad.push(`${what}: HTTP ${status}`);
      if (stackTrace.test(body)) bad.push(`${what}: a stack trace or a path in the body`);
      if (body.length > 16_384) bad.push(`${what}: ${body.length} bytes of body`);
    }
    const byStatus: Record<number, number> = {};
    for (const result of results) byStatus[result.status] = (byStatus[result.status] ?? 0) + 1;
    console.log("HTTP fuzz:", JSON.stringify({ inputs: cases.length, byStatus, failures: bad.length }));
    expect(bad).toEqual([]);
    expect(component.exitReport()).toBeUndefined();
    expect((await fetch(`${component.httpUrl}/healthz`)).status).toBe(200);
  }, 90_000);
});
