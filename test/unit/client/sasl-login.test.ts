// The portal's password check against scripted servers: which mechanism is chosen (RFC 6120 §6.3.3:
// the client picks; PLAIN only when the stream is protected), STARTTLS before SASL (RFC 6120 §5),
// a SCRAM server that cannot prove it knows the password (RFC 5802 §5.1, ServerSignature) is not
// believed, and a server that says nothing is "unavailable" after the timeout.
import { spawnSync } from "node:child_process";
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { type Server, type Socket, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chooseMechanism, isLoopback, saslLogin, saslPasswordCheck } from "../../../src/client/sasl-login.js";

const SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='example.test' version='1.0'>";
const mechanisms = (names: string[]) => `<mechanisms xmlns='${SASL}'>${names.map((n) => `<mechanism>${n}</mechanism>`).join("")}</mechanisms>`;

/** A server that answers each client write with what `script` says, until it returns undefined. */
function scripted(script: (socket: Socket, text: string) => void): Promise<{ server: Server; service: string }> {
  return new Promise((resolve) => {
    const server = createServer((socket) => {
      socket.setEncoding("utf8");
      socket.on("data", (text: string) => script(socket, text));
      socket.on("error", () => undefined);
    });
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({ server, service: `xmpp://127.0.0.1:${typeof address === "object" && address ? address.port : 0}` });
    });
  });
}

const servers: Server[] = [];
afterAll(() => {
  for (const server of servers) server.close();
});

describe("chooseMechanism (RFC 6120 §6.3.3)", () => {
  it("SCRAM-SHA-256 over SCRAM-SHA-1 over PLAIN; PLAIN only on a protected stream; nothing else", () => {
    expect(chooseMechanism(["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"], false)).toBe("SCRAM-SHA-256");
    expect(chooseMechanism(["PLAIN", "SCRAM-SHA-1"], false)).toBe("SCRAM-SHA-1");
    expect(chooseMechanism(["PLAIN"], false)).toBeUndefined();
    expect(chooseMechanism(["PLAIN"], true)).toBe("PLAIN");
    expect(chooseMechanism(["ANONYMOUS", "EXTERNAL", "SCRAM-SHA-1-PLUS"], true)).toBeUndefined();
  });

  it("loopback: 127.0.0.0/8, ::1 and localhost, nothing else", () => {
    for (const host of ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost"]) expect(isLoopback(host), host).toBe(true);
    for (const host of ["192.0.2.1", "example.org", "::ffff:192.0.2.1", "127.example.org"]) expect(isLoopback(host), host).toBe(false);
  });
});

describe("SCRAM against a scripted server (RFC 5802)", () => {
  /** A SCRAM-SHA-1 server for `password`, whose final message is signed with `signWith`. */
  function scramServer(password: string, signWith: string) {
    const salt = randomBytes(12);
    let clientFirstBare = "";
    let serverFirst = "";
    return scripted((socket, text) => {
      if (text.includes("<stream:stream")) return void socket.write(`${HEADER}<stream:features>${mechanisms(["SCRAM-SHA-1"])}</stream:features>`);
      const body = Buffer.from(/>([^<]*)</.exec(text)?.[1] ?? "", "base64").toString("utf8");
      if (text.startsWith("<auth")) {
        clientFirstBare = body.slice(3);
        serverFirst = `r=${/r=([^,]+)/.exec(body)?.[1]}server,s=${salt.toString("base64")},i=4096`;
        return void socket.write(`<challenge xmlns='${SASL}'>${Buffer.from(serverFirst).toString("base64")}</challenge>`);
      }
      if (text.startsWith("<response")) {
        const withoutProof = body.slice(0, body.lastIndexOf(",p="));
        const message = `${clientFirstBare},${serverFirst},${withoutProof}`;
        const key = (pw: string) => pbkdf2Sync(pw, salt, 4096, 20, "sha1");
        const clientKey = createHmac("sha1", key(password)).update("Client Key").digest();
        const signature = createHmac("sha1", createHash("sha1").update(clientKey).digest()).update(message).digest();
        const proof = Buffer.from(body.slice(body.lastIndexOf(",p=") + 3), "base64");
        if (!Buffer.from(clientKey.map((byte, i) => byte ^ (signature[i] ?? 0))).equals(proof)) return void socket.write(`<failure xmlns='${SASL}'><not-authorized/></failure>`);
        const verifier = createHmac("sha1", createHmac("sha1", key(signWith)).update("Server Key").digest()).update(message).digest();
        socket.write(`<success xmlns='${SASL}'>${Buffer.from(`v=${verifier.toString("base64")}`).toString("base64")}</success>`);
      }
    });
  }

  it("the right password: valid; a wrong one: invalid (the server's <failure/>)", async () => {
    const { server, service } = await scramServer("pencil-pencil", "pencil-pencil");
    servers.push(server);
    const check = saslPasswordCheck({ service, domain: "example.test", timeoutMs: 5000 });
    expect(await check.check("user", "pencil-pencil")).toBe("valid");
    expect(await check.check("user", "not-the-pencil")).toBe("invalid");
  });

  it("a server whose ServerSignature does not fit is not believed: unavailable, never valid", async () => {
    const { server, service } = await scramServer("pencil-pencil", "what the server does not know");
    servers.push(server);
    expect(await saslPasswordCheck({ service, domain: "example.test", timeoutMs: 5000 }).check("user", "pencil-pencil")).toBe("unavailable");
  });

  it("a server that never answers: unavailable after the timeout", async () => {
    const { server, service } = await scripted(() => undefined);
    servers.push(server);
    expect(await saslPasswordCheck({ service, domain: "example.test", timeoutMs: 300 }).check("user", "pencil")).toBe("unavailable");
  });

  it("on loopback a server offering only PLAIN without TLS gets PLAIN (the stream never leaves the machine)", async () => {
    let sawPlain = "";
    const { server, service } = await scripted((socket, text) => {
      if (text.includes("<stream:stream")) return void socket.write(`${HEADER}<stream:features>${mechanisms(["PLAIN"])}</stream:features>`);
      if (text.startsWith("<auth")) {
        sawPlain = Buffer.from(/>([^<]*)</.exec(text)?.[1] ?? "", "base64").toString("utf8");
        socket.write(`<success xmlns='${SASL}'/>`);
      }
    });
    servers.push(server);
    expect((await saslLogin({ service, domain: "example.test", timeoutMs: 5000 }, undefined)).secure).toBe(true);
    expect(await saslPasswordCheck({ service, domain: "example.test", timeoutMs: 5000 }).check("user", "pencil")).toBe("valid");
    expect(sawPlain).toBe("\0user\0pencil");
  });
});

describe("STARTTLS before SASL (RFC 6120 §5)", () => {
  let dir: string;
  let key: Buffer;
  let cert: Buffer;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "xmpp-invites-tls-"));
    const made = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=example.test",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { encoding: "utf8" });
    expect(made.status, made.stderr).toBe(0);
    key = readFileSync(join(dir, "key.pem"));
    cert = readFileSync(join(dir, "cert.pem"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("offered STARTTLS is used, and SASL runs on the encrypted stream only", async () => {
    const seen: string[] = [];
    const { server, service } = await scripted((socket, text) => {
      seen.push(`plain:${text.slice(0, 80)}`);
      if (text.includes("<stream:stream")) {
        return void socket.write(`${HEADER}<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>`);
      }
      if (!text.startsWith("<starttls")) return;
      socket.removeAllListeners("data");
      socket.write("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
      const secured = new TLSSocket(socket, { isServer: true, key, cert });
      secured.setEncoding("utf8");
      secured.on("error", () => undefined);
      secured.on("data", (inner: string) => {
        seen.push(`tls:${inner.slice(0, 80)}`);
        if (inner.includes("<stream:stream")) secured.write(`${HEADER}<stream:features>${mechanisms(["PLAIN"])}</stream:features>`);
        else if (inner.startsWith("<auth")) secured.write(`<failure xmlns='${SASL}'><not-authorized/></failure>`);
      });
    });
    servers.push(server);
    expect(await saslPasswordCheck({ service, domain: "example.test", timeoutMs: 5000 }).check("user", "pencil")).toBe("invalid");
    expect(seen.filter((line) => line.includes("<auth"))).toEqual([expect.stringMatching(/^tls:<auth/)]);
    expect(seen.some((line) => line.startsWith("tls:") && line.includes("stream:stream"))).toBe(true);
  });
});
