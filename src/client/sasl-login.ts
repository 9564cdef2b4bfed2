// The portal's password check: a SASL login on the server's client port (RFC 6120 §6), as the
// user's own app would do it, then the stream is closed. SCRAM-SHA-256 or SCRAM-SHA-1 (RFC 5802,
// RFC 7677) when offered, so the password never crosses the wire; PLAIN only over TLS or to a
// loopback address. STARTTLS is used when offered (certificates checked unless on loopback).
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import { connect as tcpConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { promisify } from "node:util";
import type { PasswordCheck, PasswordVerdict } from "../invites/ports/password.js";

const SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const TLS_NS = "urn:ietf:params:xml:ns:xmpp-tls";
const pbkdf2Async = promisify(pbkdf2);

export interface SaslLoginOptions {
  /** The server's client port, e.g. xmpp://127.0.0.1:5222 (xmpps:// for direct TLS). */
  readonly service: string;
  readonly domain: string;
  readonly timeoutMs: number;
}

/** Which mechanism a login would use with these offered mechanisms and this transport; undefined: none is safe. */
export function chooseMechanism(offered: readonly string[], secure: boolean): "SCRAM-SHA-256" | "SCRAM-SHA-1" | "PLAIN" | undefined {
  if (offered.includes("SCRAM-SHA-256")) return "SCRAM-SHA-256";
  if (offered.includes("SCRAM-SHA-1")) return "SCRAM-SHA-1";
  if (offered.includes("PLAIN") && secure) return "PLAIN";
  return undefined;
}

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  return bare === "localhost" || bare === "::1" || (isIP(bare) === 4 && bare.startsWith("127."));
}

/** A line-less reader over a socket: waits for the first text matching a pattern. */
class Wire {
  #buffer = "";
  #waiting: { pattern: RegExp; done: (text: string) => void; fail: (err: Error) => void } | undefined;
  #failed: Error | undefined;
  socket: Socket;

  constructor(socket: Socket) {
    this.socket = socket;
    this.attach(socket);
  }

  attach(socket: Socket): void {
    this.socket = socket;
    this.#buffer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.#buffer += chunk;
      this.#check();
    });
    socket.on("error", (err: Error) => this.#fail(err));
    socket.on("close", () => this.#fail(new Error("the server closed the stream")));
  }

  next(pattern: RegExp): Promise<string> {
    return new Promise((resolve, reject) => {
      if (this.#failed) return reject(this.#failed);
      this.#waiting = { pattern, done: resolve, fail: reject };
      this.#check();
    });
  }

  #check(): void {
    const waiting = this.#waiting;
    if (!waiting) return;
    const match = waiting.pattern.exec(this.#buffer);
    if (!match) return;
    this.#buffer = this.#buffer.slice(match.index + match[0].length);
    this.#waiting = undefined;
    waiting.done(match[0]);
  }

  #fail(err: Error): void {
    this.#failed ??= err;
    this.#waiting?.fail(err);
    this.#waiting = undefined;
  }
}

const FEATURES = /<(?:stream:)?features[\s\S]*?<\/(?:stream:)?features>/;
const OUTCOME = /<(success|failure|challenge)\b[\s\S]*?(?:\/>|<\/\1>)/;

function mechanismsOf(features: string): string[] {
  return [...features.matchAll(/<mechanism>([^<]+)<\/mechanism>/g)].map((m) => (m[1] ?? "").trim());
}

const bodyOf = (element: string) => Buffer.from(/>([^<]*)</.exec(element)?.[1] ?? "", "base64").toString("utf8");
const hmac = (hash: string, key: Buffer, text: string) => createHmac(hash, key).update(text).digest();
const escapeName = (name: string) => name.replace(/=/g, "=3D").replace(/,/g, "=2C");
const xmlEscape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/'/g, "&apos;");

/** RFC 5802 §3 from the client's side: proves the password, checks the server's signature. */
async function scram(wire: Wire, hash: "sha1" | "sha256", mechanism: string, username: string, password: string): Promise<PasswordVerdict> {
  const nonce = randomBytes(18).toString("base64");
  const bare = `n=${escapeName(username)},r=${nonce}`;
  wire.socket.write(`<auth xmlns='${SASL}' mechanism='${mechanism}'>${Buffer.from(`n,,${bare}`).toString("base64")}</auth>`);
  const first = await wire.next(OUTCOME);
  if (!first.startsWith("<challenge")) return "invalid";
  const serverFirst = bodyOf(first);
  const fields = new Map(serverFirst.split(",").map((part) => [part.slice(0, 1), part.slice(2)] as const));
  const serverNonce = fields.get("r") ?? "";
  const salt = Buffer.from(fields.get("s") ?? "", "base64");
  const iterations = Number(fields.get("i"));
  if (!serverNonce.startsWith(nonce) || !Number.isInteger(iterations) || iterations < 1 || iterations > 1_000_000) return "unavailable";
  const length = hash === "sha1" ? 20 : 32;
  const salted = await pbkdf2Async(password.normalize("NFKC"), salt, iterations, length, hash);
  const clientKey = hmac(hash, salted, "Client Key");
  const storedKey = createHash(hash).update(clientKey).digest();
  const withoutProof = `c=biws,r=${serverNonce}`;
  const message = `${bare},${serverFirst},${withoutProof}`;
  const signature = hmac(hash, storedKey, message);
  const proof = Buffer.from(clientKey.map((byte, i) => byte ^ (signature[i] ?? 0)));
  wire.socket.write(`<response xmlns='${SASL}'>${Buffer.from(`${withoutProof},p=${proof.toString("base64")}`).toString("base64")}</response>`);
  const last = await wire.next(OUTCOME);
  if (last.startsWith("<failure")) return "invalid";
  const final = last.startsWith("<challenge") ? bodyOf(last) : bodyOf(last.replace(/\/>$/, "></success>"));
  if (last.startsWith("<challenge")) {
    // RFC 6120 §6.3.10: the final message may come as a challenge, answered empty before <success/>.
    wire.socket.write(`<response xmlns='${SASL}'/>`);
    if (!(await wire.next(OUTCOME)).startsWith("<success")) return "invalid";
  }
  const verifier = Buffer.from(/(?:^|,)v=([^,]+)/.exec(final)?.[1] ?? "", "base64");
  const expected = hmac(hash, hmac(hash, salted, "Server Key"), message);
  // A server that cannot prove it knows the password is not believed when it says yes.
  return verifier.length === expected.length && timingSafeEqual(verifier, expected) ? "valid" : "unavailable";
}

async function plain(wire: Wire, username: string, password: string): Promise<PasswordVerdict> {
  wire.socket.write(`<auth xmlns='${SASL}' mechanism='PLAIN'>${Buffer.from(`\0${username}\0${password}`).toString("base64")}</auth>`);
  const outcome = await wire.next(OUTCOME);
  return outcome.startsWith("<success") ? "valid" : "invalid";
}

function open(host: string, port: number, direct: boolean, servername: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = direct
      ? tlsConnect({ host, port, servername, rejectUnauthorized: !isLoopback(host) }, () => resolve(socket))
      : tcpConnect(port, host, () => resolve(socket));
    // A server that stops answering (or never accepts) does not hold the socket open.
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)));
    socket.once("error", reject);
  });
}

/** Upgrades the stream with STARTTLS (RFC 6120 §5). */
async function startTls(wire: Wire, host: string, domain: string): Promise<void> {
  wire.socket.write(`<starttls xmlns='${TLS_NS}'/>`);
  const answer = await wire.next(/<(proceed|failure)\b[^>]*?(?:\/>|>[\s\S]*?<\/\1>)/);
  if (!answer.startsWith("<proceed")) throw new Error("the server refused STARTTLS");
  const plainSocket = wire.socket;
  plainSocket.removeAllListeners("data");
  plainSocket.removeAllListeners("close");
  const secured = await new Promise<Socket>((resolve, reject) => {
    const socket = tlsConnect({ socket: plainSocket, servername: domain, rejectUnauthorized: !isLoopback(host) }, () => resolve(socket));
    socket.once("error", reject);
  });
  wire.attach(secured);
}

/** One login attempt: what the server said of the password, or what it offers when `probe`. */
export async function saslLogin(options: SaslLoginOptions, credentials: { username: string; password: string } | undefined): Promise<{ verdict: PasswordVerdict; mechanisms: string[]; secure: boolean }> {
  const url = new URL(options.service);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const direct = url.protocol === "xmpps:";
  const wire = new Wire(await open(host, Number(url.port || (direct ? 5223 : 5222)), direct, options.domain, options.timeoutMs));
  const header = `<?xml version='1.0'?><stream:stream to='${xmlEscape(options.domain)}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`;
  try {
    wire.socket.write(header);
    let features = await wire.next(FEATURES);
    let tls = direct;
    if (!tls && features.includes(TLS_NS)) {
      await startTls(wire, host, options.domain);
      tls = true;
      wire.socket.write(header);
      features = await wire.next(FEATURES);
    }
    const mechanisms = mechanismsOf(features);
    const secure = tls || isLoopback(host);
    const mechanism = chooseMechanism(mechanisms, secure);
    if (credentials === undefined || mechanism === undefined) return { verdict: "unavailable", mechanisms, secure };
    const { username, password } = credentials;
    const verdict = mechanism === "PLAIN" ? await plain(wire, username, password) : await scram(wire, mechanism === "SCRAM-SHA-256" ? "sha256" : "sha1", mechanism, username, password);
    return { verdict, mechanisms, secure };
  } finally {
    wire.socket.removeAllListeners("close");
    wire.socket.on("error", () => undefined);
    wire.socket.end("</stream:stream>");
    wire.socket.destroy();
  }
}

/** The PasswordCheck over saslLogin: a server that does not answer in time is "unavailable". */
export function saslPasswordCheck(options: SaslLoginOptions): PasswordCheck {
  return {
    async check(username, password) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<PasswordVerdict>((resolve) => {
        timer = setTimeout(() => resolve("unavailable"), options.timeoutMs);
      });
      try {
        return await Promise.race([saslLogin(options, { username, password }).then((r) => r.verdict, () => "unavailable" as const), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
