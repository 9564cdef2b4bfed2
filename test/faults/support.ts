// What the fault-injection suite needs: the component as its own OS process (so SIGKILL is real),
// raw XMPP clients through the real Prosody, the web door over plain HTTP, and an audit that
// compares, from outside, what clients were told with what exists on the server and in the database.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { type Socket, connect } from "node:net";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import LtxParser from "ltx/lib/parsers/ltx.js";
import { Element } from "ltx";
import type { ProsodyServer } from "../../tools/demo/prosody.js";
import { type RawStream, openRawStream, preauthPayload, registerPayload } from "../../src/client/raw-stream.js";

const BIN = resolve("dist/cli/main.js");

/** What the suite needs of a server, Prosody or ejabberd. */
export type FaultServer = Pick<ProsodyServer, "domain" | "anonDomain" | "componentDomain" | "componentSecret" | "c2sPort" | "componentService">;

export interface ComponentProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly httpUrl: string;
  /** Every log line so far (pino JSON). */
  readonly lines: Array<Record<string, unknown>>;
  waitForLine(match: (line: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<Record<string, unknown>>;
  /** Resident memory in kB, from /proc. */
  rssKb(): number;
  isRunning(): boolean;
  /** Why it exited (code or signal, stderr, its last log lines), or undefined while it runs. */
  exitReport(): string | undefined;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export function writeComponentConfig(server: FaultServer, path: string, database: string, extra: Record<string, unknown> = {}): void {
  writeFileSync(path, JSON.stringify({
    domain: server.domain,
    component: { service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret },
    database,
    http: { listen: "127.0.0.1:0", rate_limit: { max: 100_000, window: 60 } },
    password_policy: { min_length: 8 },
    log_level: "info",
    ...extra,
  }));
}

/** Starts `xmpp-invites start` and waits until it is connected and its web door listens. */
export async function startComponent(configPath: string): Promise<ComponentProcess> {
  const child = spawn(process.execPath, [BIN, "start", "--config", configPath], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  let rest = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop() ?? "";
    for (const part of parts) {
      try {
        lines.push(JSON.parse(part) as Record<string, unknown>);
      } catch {
        lines.push({ msg: part });
      }
    }
    for (const wake of waiters) wake();
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  let exited = false;
  let exitedWith = "";
  const exit = new Promise<void>((done) => child.once("exit", (code, signal) => {
    exited = true;
    exitedWith = signal ?? `code ${code}`;
    for (const wake of waiters) wake();
    done();
  }));

  const waitForLine: ComponentProcess["waitForLine"] = (match, timeoutMs, what) => new Promise((resolveLine, reject) => {
    const check = () => {
      const found = lines.find(match);
      if (found) {
        cleanup();
        resolveLine(found);
      } else if (exited) {
        cleanup();
        reject(new Error(`the component exited while waiting for ${what}: ${stderr}`));
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${what} within ${timeoutMs} ms; stderr: ${stderr}\n${lines.slice(-10).map((l) => JSON.stringify(l)).join("\n")}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      waiters.delete(check);
    };
    waiters.add(check);
    check();
  });

  const listening = await waitForLine((line) => line["msg"] === "web pages and API listening", 15_000, "web door");
  // Connected, or standing by while another instance holds the component connection.
  await waitForLine((line) => /connected to the XMPP server|standing by/.test(String(line["msg"])), 15_000, "XMPP connection");
  return {
    child,
    pid: child.pid ?? 0,
    httpUrl: String(listening["url"]),
    lines,
    waitForLine,
    rssKb() {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    },
    isRunning: () => !exited,
    exitReport: () => (exited ? `exited with ${exitedWith}; stderr: ${stderr}\n${lines.slice(-15).map((l) => JSON.stringify(l)).join("\n")}` : undefined),
    async kill(signal) {
      if (exited) return;
      child.kill(signal);
      await exit;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A raw XMPP client: an anonymous c2s session whose every byte the test chooses.

export interface RawClient {
  readonly jid: string;
  /** Sends raw XML. */
  send(xml: string): void;
  /** Resolves with the reply to the IQ with this id (or undefined when the stream ends first). */
  reply(id: string, timeoutMs: number): Promise<Element | undefined>;
  /** Every stanza received, in order. */
  readonly received: Element[];
  readonly closed: boolean;
  close(): void;
}

export async function rawClient(server: FaultServer, timeoutMs = 10_000): Promise<RawClient> {
  const socket: Socket = connect(server.c2sPort, "127.0.0.1");
  socket.setNoDelay(true);
  const received: Element[] = [];
  const waiting = new Map<string, (reply: Element | undefined) => void>();
  let features: (() => void) | undefined;
  let closed = false;
  let parser = newParser();

  function newParser() {
    const sax = new LtxParser();
    let depth = 0;
    let cursor: Element | undefined;
    sax.on("startElement", (name: string, attrs: Record<string, string>) => {
      depth += 1;
      if (depth === 1) return; // the stream root
      const element = new Element(name, attrs);
      if (cursor) cursor.append(element);
      cursor = element;
    });
    sax.on("endElement", () => {
      depth -= 1;
      if (depth === 0) {
        closed = true;
        return;
      }
      if (!cursor) return;
      if (depth === 1) {
        const stanza = cursor;
        cursor = undefined;
        onStanza(stanza);
      } else {
        cursor = cursor.parent ?? undefined;
      }
    });
    sax.on("text", (text: string) => {
      cursor?.append(text);
    });
    return sax;
  }

  function onStanza(stanza: Element) {
    received.push(stanza);
    if (stanza.name === "stream:features" || stanza.name === "features" || stanza.name === "success" || stanza.name === "failure") {
      const wake = features;
      features = undefined;
      wake?.();
      return;
    }
    const id = stanza.attrs.id;
    if (stanza.name === "iq" && id !== undefined) {
      const done = waiting.get(id);
      waiting.delete(id);
      done?.(stanza);
    }
  }

  socket.on("data", (chunk) => parser.write(chunk.toString("utf8")));
  socket.on("close", () => {
    closed = true;
    for (const done of waiting.values()) done(undefined);
    waiting.clear();
    features?.();
  });
  socket.on("error", () => undefined);

  const next = () => new Promise<void>((done, reject) => {
    const timer = setTimeout(() => reject(new Error("no answer from the server while logging in")), timeoutMs);
    features = () => {
      clearTimeout(timer);
      done();
    };
  });
  const open = () => socket.write(`<?xml version='1.0'?><stream:stream to='${server.anonDomain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);

  await new Promise<void>((done, reject) => {
    socket.once("connect", () => done());
    socket.once("error", reject);
  });
  let step = next();
  open();
  await step; // features
  step = next();
  socket.write("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/>");
  await step; // success
  parser = newParser();
  step = next();
  open();
  await step; // features after authentication
  const client: RawClient = {
    jid: "",
    send: (xml) => {
      if (!closed) socket.write(xml);
    },
    reply: (id, ms) => new Promise((done) => {
      if (closed) return done(undefined);
      const timer = setTimeout(() => {
        waiting.delete(id);
        done(undefined);
      }, ms);
      waiting.set(id, (reply) => {
        clearTimeout(timer);
        done(reply);
      });
    }),
    received,
    get closed() {
      return closed;
    },
    close() {
      socket.end("</stream:stream>");
      socket.destroy();
    },
  };
  const bound = client.reply("bind", timeoutMs);
  socket.write("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
  const bind = await bound;
  const jid = bind?.getChild("bind")?.getChildText("jid");
  if (!jid) throw new Error(`resource binding failed: ${bind?.toString()}`);
  (client as { jid: string }).jid = jid;
  return client;
}

export const escapeXml = (value: string) => value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/'/g, "&apos;").replace(/"/g, "&quot;");

export type Outcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: string; readonly text: string };

/** Preauth and register in one go at the component, as an invite link in a client does. */
export async function registerOverXmpp(client: RawClient, component: string, token: string, username: string, password: string, timeoutMs: number): Promise<Outcome> {
  const id = `reg-${username}`;
  const answer = client.reply(id, timeoutMs);
  client.send(`<iq type='set' id='${id}' to='${component}'><query xmlns='jabber:iq:register'><preauth xmlns='urn:xmpp:pars:0' token='${escapeXml(token)}'/>` +
    `<username>${escapeXml(username)}</username><password>${escapeXml(password)}</password></query></iq>`);
  const reply = await answer;
  if (!reply) return { ok: false, status: client.closed ? "disconnected" : "no-answer", text: "" };
  if (reply.attrs.type === "result") return { ok: true };
  const error = reply.getChild("error");
  const condition = error?.children.find((child): child is Element => typeof child !== "string" && child.name !== "text")?.name ?? "unknown";
  return { ok: false, status: `${error?.attrs.type ?? "?"}/${condition}`, text: error?.getChildText("text") ?? "" };
}

/**
 * The app path: an unauthenticated c2s stream to the server itself (preauth, then XEP-0077
 * register), as an app that opened the invite link does; the server's bridge module asks the component.
 */
export async function registerOverApp(server: FaultServer, token: string, username: string, password: string, timeoutMs: number): Promise<Outcome> {
  let stream: RawStream | undefined;
  const within = <T>(promise: Promise<T>) => Promise.race([promise, new Promise<undefined>((resolveLate) => setTimeout(() => resolveLate(undefined), timeoutMs))]);
  try {
    stream = await openRawStream(server.c2sPort, server.domain);
    for (const [id, payload] of [["p", preauthPayload(token)], ["r", registerPayload(escapeXml(username), escapeXml(password))]] as const) {
      const reply = await within(stream.iq(id, payload));
      if (!reply) return { ok: false, status: "no-answer", text: "" };
      if (reply.type !== "result") {
        const type = /<error[^>]*type=['"](\w+)['"]/.exec(reply.xml)?.[1] ?? "?";
        const condition = /<([a-z-]+)[^>]*xmlns=['"]urn:ietf:params:xml:ns:xmpp-stanzas['"]/.exec(reply.xml)?.[1] ?? "unknown";
        return { ok: false, status: `${type}/${condition}`, text: /<text[^>]*>([^<]*)<\/text>/.exec(reply.xml)?.[1] ?? "" };
      }
    }
    return { ok: true };
  } catch (err) {
    return { ok: false, status: "disconnected", text: String((err as Error).message) };
  } finally {
    stream?.close();
  }
}

/** Why a fetch failed: the socket's code (ECONNREFUSED: nothing listens) where Node gives one. */
const fetchFailure = (err: unknown) => (err as { cause?: { code?: string } }).cause?.code ?? String((err as Error).message);

/** POST /api/v1/registrations. */
export async function registerOverApi(baseUrl: string, token: string, username: string, password: string): Promise<Outcome> {
  try {
    const response = await fetch(`${baseUrl}/api/v1/registrations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token, username, password }),
    });
    const body = await response.text();
    if (response.status === 201) return { ok: true };
    return { ok: false, status: String(response.status), text: body };
  } catch (err) {
    return { ok: false, status: "disconnected", text: fetchFailure(err) };
  }
}

/** The web form: GET the page for its CSRF token, then POST it, as a browser does. */
export async function registerOverWebForm(baseUrl: string, token: string, username: string, password: string): Promise<Outcome> {
  try {
    const page = await fetch(`${baseUrl}/invite/${token}/register`);
    const html = await page.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!csrf) return { ok: false, status: String(page.status), text: "no form" };
    const response = await fetch(`${baseUrl}/invite/${token}/register`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf, username, password, confirm: password }).toString(),
    });
    const body = await response.text();
    if (response.status === 200 && /Your account is ready/.test(body)) return { ok: true };
    return { ok: false, status: String(response.status), text: /<p[^>]*>([^<]*)/.exec(body.slice(body.indexOf("<main")))?.[1] ?? "" };
  } catch (err) {
    return { ok: false, status: "disconnected", text: fetchFailure(err) };
  }
}

// ---------------------------------------------------------------------------------------------
// The audit, from outside: the server's account files and the database file.

/** Usernames with an account on the server, read from Prosody's data directory. */
export function accountsOnServer(server: ProsodyServer): Set<string> {
  const dir = join(server.dir, "data", server.domain.replace(/\./g, "%2e"), "accounts");
  if (!existsSync(dir)) return new Set();
  return new Set(readdirSync(dir).filter((name) => name.endsWith(".dat")).map((name) => decodeURIComponent(name.slice(0, -4).replace(/%/g, "%"))));
}

export interface Attempt {
  readonly token: string;
  readonly inviteId: string;
  readonly username: string;
  readonly door: "xmpp" | "web" | "api" | "app";
  outcome?: Outcome | undefined;
}

export interface AuditFigures {
  readonly attempts: number;
  readonly reportedSuccess: number;
  readonly accounts: number;
  readonly recordedUses: number;
  readonly openClaims: number;
  readonly violations: string[];
}

/**
 * The four promises, checked against the server and the database: no token made more accounts
 * than its uses; every success a client was told of has its account and its recorded use; no invite
 * stays reserved for an account that does not exist; no account exists whose use is unrecorded.
 */
/** `server`: a Prosody whose account files are read, or the accounts of another server, listed before. */
export function audit(server: ProsodyServer | ReadonlySet<string>, databasePath: string, attempts: readonly Attempt[]): AuditFigures {
  const db = new Database(databasePath, { readonly: true, fileMustExist: true });
  try {
    return auditRows(server, {
      invites: db.prepare("SELECT id, uses, pending, max_uses FROM invites").all() as InviteRow[],
      redemptions: db.prepare("SELECT invite_id, jid FROM redemptions").all() as Array<{ invite_id: string | null; jid: string }>,
      claims: db.prepare("SELECT invite_id, username FROM claims").all() as Array<{ invite_id: string; username: string | null }>,
    }, attempts);
  } finally {
    db.close();
  }
}

interface InviteRow { id: string; uses: number; pending: number; max_uses: number }

/** The rows the audit reads, from whichever database holds them. */
export interface AuditRows {
  readonly invites: readonly InviteRow[];
  readonly redemptions: ReadonlyArray<{ invite_id: string | null; jid: string }>;
  readonly claims: ReadonlyArray<{ invite_id: string; username: string | null }>;
}

/** The audit of `audit`, on rows read from any database. */
export function auditRows(server: ProsodyServer | ReadonlySet<string>, rows: AuditRows, attempts: readonly Attempt[]): AuditFigures {
  const accounts = server instanceof Set ? server : accountsOnServer(server as ProsodyServer);
  {
    const invites = new Map(rows.invites.map((r) => [r.id, r]));
    const recorded = new Map(rows.redemptions.map((row) => [row.jid.split("@")[0] ?? "", row.invite_id]));
    const claims = rows.claims;
    const violations: string[] = [];

    const byInvite = new Map<string, Attempt[]>();
    for (const attempt of attempts) byInvite.set(attempt.inviteId, [...(byInvite.get(attempt.inviteId) ?? []), attempt]);
    for (const [inviteId, tries] of byInvite) {
      const made = tries.filter((attempt) => accounts.has(attempt.username));
      const invite = invites.get(inviteId);
      if (!invite) {
        violations.push(`invite ${inviteId} is gone`);
        continue;
      }
      if (made.length > invite.max_uses) violations.push(`invite ${inviteId} made ${made.length} accounts with ${invite.max_uses} use(s): ${made.map((a) => a.username).join(", ")}`);
      if (invite.uses > invite.max_uses) violations.push(`invite ${inviteId} counts ${invite.uses} uses of ${invite.max_uses}`);
    }
    for (const attempt of attempts) {
      const exists = accounts.has(attempt.username);
      if (attempt.outcome?.ok && !exists) violations.push(`${attempt.username} was told success but has no account`);
      if (attempt.outcome?.ok && recorded.get(attempt.username) !== attempt.inviteId) violations.push(`${attempt.username} was told success but its use is not recorded`);
      if (exists && recorded.get(attempt.username) !== attempt.inviteId) violations.push(`${attempt.username} exists but its invite use is not recorded`);
    }
    for (const claim of claims) {
      if (claim.username !== null && !accounts.has(claim.username)) violations.push(`invite ${claim.invite_id} stays reserved for ${claim.username}, which does not exist`);
    }
    const ours = attempts.filter((attempt) => accounts.has(attempt.username)).length;
    return {
      attempts: attempts.length,
      reportedSuccess: attempts.filter((attempt) => attempt.outcome?.ok).length,
      accounts: ours,
      recordedUses: attempts.filter((attempt) => recorded.get(attempt.username) === attempt.inviteId).length,
      openClaims: claims.length,
      violations,
    };
  }
}

/** Open claims in the database (read-only, from outside). */
export function openClaims(databasePath: string): number {
  const db = new Database(databasePath, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM claims").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Waits for `check`, asked every `everyMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, everyMs));
  }
}

export interface MadeInvite {
  readonly id: string;
  readonly token: string;
}

/** Invites made with the project's own service on the component's database file, as the CLI does. */
export async function createInvites(server: FaultServer, databasePath: string, count: number, uses = 1): Promise<MadeInvite[]> {
  const { openInvites } = await import("../../src/app.js");
  const { parseConfig } = await import("../../src/config/load.js");
  const { stores, invites } = await openInvites(parseConfig({
    domain: server.domain,
    component: { service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret },
    database: databasePath,
  }));
  try {
    const made: MadeInvite[] = [];
    for (let i = 0; i < count; i++) {
      const { invite, token } = await invites.create({ maxUses: uses });
      made.push({ id: invite.id, token });
    }
    return made;
  } finally {
    await stores.close();
  }
}

/** `perInvite` attempts on each invite, named PREFIX{i}x{k}, their doors taken in turn from `doors`. */
export function plan(prefix: string, invites: readonly MadeInvite[], doors: ReadonlyArray<Attempt["door"]>, perInvite = 1): Attempt[] {
  return invites.flatMap((invite, i) => Array.from({ length: perInvite }, (_, k) => ({
    token: invite.token, inviteId: invite.id, username: `${prefix}${i}x${k}`, door: doors[(i * perInvite + k) % doors.length] ?? "api",
  })));
}

export interface Doors {
  readonly server: FaultServer;
  /** The XMPP door's clients, used in turn. */
  readonly clients: readonly RawClient[];
  readonly httpUrl: string;
  readonly password: string;
  /** How long an XMPP answer is waited for. */
  readonly replyMs: number;
}

/** Sends every attempt at once through its door; resolves when all have an outcome. */
export function fire(attempts: readonly Attempt[], doors: Doors): Promise<void> {
  let xmpp = 0;
  const { server, httpUrl, password, replyMs } = doors;
  return Promise.all(attempts.map(async (attempt) => {
    const { token, username } = attempt;
    switch (attempt.door) {
      case "xmpp": {
        const client = doors.clients[xmpp++ % doors.clients.length];
        if (!client) throw new Error("no XMPP client");
        attempt.outcome = await registerOverXmpp(client, server.componentDomain, token, username, password, replyMs);
        break;
      }
      case "api":
        attempt.outcome = await registerOverApi(httpUrl, token, username, password);
        break;
      case "web":
        attempt.outcome = await registerOverWebForm(httpUrl, token, username, password);
        break;
      case "app":
        attempt.outcome = await registerOverApp(server, token, username, password, replyMs);
        break;
    }
  })).then(() => undefined);
}

/** How many attempts ended each way: "success" or the error's type/condition. */
export function tally(attempts: readonly Attempt[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const attempt of attempts) {
    const key = attempt.outcome?.ok ? "success" : (attempt.outcome?.status ?? "none");
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * The tokens whose attempt left no account must work again: one retry per invite through the API,
 * named PREFIX{n}. Invites in `skip` (shared ones whose uses may all be spent) are left out.
 */
export async function retryFailed(accounts: ReadonlySet<string>, attempts: readonly Attempt[], httpUrl: string, prefix: string, password: string, skip: ReadonlySet<string> = new Set()): Promise<Attempt[]> {
  const seen = new Set<string>(skip);
  const retries: Attempt[] = [];
  for (const attempt of attempts) {
    if (accounts.has(attempt.username) || seen.has(attempt.inviteId)) continue;
    seen.add(attempt.inviteId);
    retries.push({ ...attempt, username: `${prefix}${retries.length}`, door: "api", outcome: undefined });
  }
  for (const retry of retries) retry.outcome = await registerOverApi(httpUrl, retry.token, retry.username, password);
  return retries;
}
