// B1, B2 and B4: the component as its own process against a real Prosody, side by side with
// Prosody's own invite registration and with a bare @xmpp/component.
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { connectClient, redeemOverXmpp } from "../../src/client/redeem.js";
import { openRawStream, preauthPayload, registerPayload } from "../../src/client/raw-stream.js";
import { systemClock } from "../../src/invites/clock.js";
import { openStores } from "../../src/invites/sqlite/index.js";
import { InviteService } from "../../src/invites/service.js";
import type { ProsodyServer } from "../demo/prosody.js";
import { NS } from "../../src/protocol/namespaces.js";
import { xml } from "../../src/protocol/xml.js";
import { percentile, timedPool } from "./stats.js";

export interface DoorResult {
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface ComponentProcess {
  readonly pid: number;
  readonly httpBase: string;
  readonly invites: InviteService;
  stop(): Promise<void>;
}

/** What the component needs to know of the server it runs against (Prosody or ejabberd). */
export interface ServerEndpoints {
  readonly dir: string;
  readonly domain: string;
  readonly componentDomain: string;
  readonly componentSecret: string;
  componentService(): string;
}

/** Starts `xmpp-invites start` as a child process on a config written into the server's dir. */
export async function startComponentProcess(server: ServerEndpoints, httpPort: number, cliPath: string, extra: Record<string, unknown> = {}): Promise<ComponentProcess> {
  const configPath = join(server.dir, "bench-config.json");
  const database = join(server.dir, "bench-invites.sqlite");
  writeFileSync(configPath, JSON.stringify({
    domain: server.domain,
    component: { service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret },
    database,
    http: { listen: `127.0.0.1:${httpPort}`, rate_limit: { max: 1_000_000, window: 60 } },
    log_level: "warn",
    ...extra,
  }));
  const child: ChildProcess = spawn(process.execPath, [cliPath, "start", "--config", configPath], { stdio: ["ignore", "pipe", "pipe"] });
  const ready = await waitForReady(httpPort, child);
  if (!ready) {
    child.kill("SIGKILL");
    throw new Error("the component did not start");
  }
  const stores = openStores(database);
  const { db } = stores;
  const invites = new InviteService({ store: stores.invites, claims: stores.claims, clock: systemClock, domain: server.domain, defaultExpiry: 86400 });
  return {
    pid: child.pid ?? 0,
    httpBase: `http://127.0.0.1:${httpPort}`,
    invites,
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      db.close();
    },
  };
}

async function waitForReady(httpPort: number, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
      if (health.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

export async function nativeTokens(server: ProsodyServer, count: number): Promise<string[]> {
  const lines = Array.from({ length: count }, () => `invite:create_account(${JSON.stringify(server.domain)})`).join("\n");
  const { stdout } = await server.prosodyctl(["shell"], `${lines}\n`);
  const tokens = [...stdout.matchAll(/preauth=([A-Za-z0-9_-]+)/g)].map((match) => match[1] ?? "");
  if (tokens.length < count) throw new Error(`prosodyctl made ${tokens.length} of ${count} native invites`);
  return tokens;
}

function door(result: { latencies: number[]; wallMs: number }, count: number): DoorResult {
  return { perSecond: count / (result.wallMs / 1000), p50Ms: percentile(result.latencies, 50), p99Ms: percentile(result.latencies, 99) };
}

const PASSWORD = "bench-password-0123";

export async function registerNative(server: ProsodyServer, tokens: string[], prefix: string, concurrency: number): Promise<DoorResult> {
  const result = await timedPool(tokens.map((token, i) => ({ token, name: `${prefix}${i}` })), concurrency, async ({ token, name }) => {
    const stream = await openRawStream(server.c2sPort, server.domain);
    try {
      const pre = await stream.iq("p", preauthPayload(token));
      const reg = await stream.iq("r", registerPayload(name, PASSWORD));
      if (pre.type !== "result" || reg.type !== "result") throw new Error(`native registration failed: ${reg.xml}`);
    } finally {
      stream.close();
    }
  });
  return door(result, tokens.length);
}

export async function registerXmpp(server: ProsodyServer, tokens: string[], prefix: string, concurrency: number): Promise<DoorResult> {
  const result = await timedPool(tokens.map((token, i) => ({ token, name: `${prefix}${i}` })), concurrency, async ({ token, name }) => {
    await redeemOverXmpp({
      service: server.c2sService(), loginDomain: server.anonDomain, component: server.componentDomain,
      domain: server.domain, token, username: name, password: PASSWORD,
    });
  });
  return door(result, tokens.length);
}

export async function registerWeb(httpBase: string, tokens: string[], prefix: string, concurrency: number): Promise<DoorResult> {
  const result = await timedPool(tokens.map((token, i) => ({ token, name: `${prefix}${i}` })), concurrency, async ({ token, name }) => {
    const page = await (await fetch(`${httpBase}/invite/${token}/register`)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? "";
    const response = await fetch(`${httpBase}/invite/${token}/register`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf, username: name, password: PASSWORD, confirm: PASSWORD }).toString(),
    });
    await response.text();
    if (response.status !== 200) throw new Error(`web registration answered ${response.status}`);
  });
  return door(result, tokens.length);
}

/** B2: register-get round trips per second from one anonymous client, with `inFlight` at once. */
export async function iqRoundTrips(server: ProsodyServer, count: number, inFlight: number): Promise<number> {
  const session = await connectClient({ service: server.c2sService(), domain: server.anonDomain });
  try {
    const get = () => session.iqCaller.request(xml("iq", { type: "get", to: server.componentDomain }, xml("query", { xmlns: NS.REGISTER })), 10_000);
    for (let i = 0; i < 20; i++) await get(); // warm up
    const result = await timedPool(Array.from({ length: count }, (_, i) => i), inFlight, async () => {
      await get();
    });
    return count / (result.wallMs / 1000);
  } finally {
    await session.stop().catch(() => undefined);
  }
}

/** B2's baseline: a bare @xmpp/component in its own process, answering the same IQ. */
export async function startBareComponent(server: ProsodyServer, scriptPath: string): Promise<{ stop(): Promise<void> }> {
  const child = spawn(process.execPath, ["--import", "tsx", scriptPath, server.componentService(), server.componentDomain, server.componentSecret], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the bare component did not connect")), 10_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("online")) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

