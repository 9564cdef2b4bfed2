// The component as its own process against a real server (B1, B2, B4), Prosody's own invite tokens,
// and B2's round trips against a bare @xmpp/component.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { connectClient } from "../../src/client/redeem.js";
import { systemClock } from "../../src/invites/domain/clock.js";
import { openSqliteStores } from "../../src/adapters/store/sqlite/index.js";
import { InviteService } from "../../src/invites/service/invite-service.js";
import type { ProsodyServer } from "../demo/prosody.js";
import { NS } from "../../src/protocol/namespaces.js";
import { xml } from "../../src/protocol/xml.js";
import { timedPool } from "./stats.js";

export interface ComponentProcess {
  readonly pid: number;
  readonly httpBase: string;
  readonly invites: InviteService;
  /** The component's timing lines (XMPP_INVITES_TIMING=1) since the last call; empties the list. */
  takeTimings(): TimingLine[];
  stop(): Promise<void>;
}

/** One request's parts as the component measured them: `timing` names it ("iq:query", "register:web", …). */
export interface TimingLine {
  readonly timing: string;
  readonly [part: string]: number | string;
}

export interface ComponentOptions {
  /** More config keys (adapter, admins, …). */
  readonly extra?: Record<string, unknown>;
  /** Turn on the component's per-request timing lines (and debug logging, where they go). */
  readonly timing?: boolean;
  /** Invites created in the database before the component starts. */
  readonly prefill?: number;
  /** NODE_OPTIONS for the component (default: the shipped systemd unit's). */
  readonly nodeOptions?: string;
}

/** The NODE_OPTIONS the shipped systemd unit runs the service with, so the bench measures the same. */
export function unitNodeOptions(): string {
  const unit = readFileSync(fileURLToPath(new URL("../../systemd/xmpp-invites.service", import.meta.url)), "utf8");
  return /^Environment=NODE_OPTIONS=(.*)$/m.exec(unit)?.[1] ?? "";
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
export async function startComponentProcess(server: ServerEndpoints, httpPort: number, cliPath: string, options: ComponentOptions = {}): Promise<ComponentProcess> {
  const configPath = join(server.dir, "bench-config.json");
  const database = join(server.dir, `bench-invites-${httpPort}.sqlite`);
  const stores = openSqliteStores(database);
  const { db } = stores;
  const invites = new InviteService({ store: stores.invites, claims: stores.claims, clock: systemClock, domain: server.domain, defaultExpiry: 86400 });
  for (let made = 0; made < (options.prefill ?? 0); made += 10_000) await invites.createMany(Math.min(10_000, (options.prefill ?? 0) - made), { note: "prefill" });
  if (options.prefill) db.pragma("wal_checkpoint(TRUNCATE)");
  writeFileSync(configPath, JSON.stringify({
    domain: server.domain,
    component: { service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret },
    database,
    http: { listen: `127.0.0.1:${httpPort}`, rate_limit: { max: 1_000_000, window: 60 } },
    log_level: options.timing ? "debug" : "warn",
    ...options.extra,
  }));
  const env = { ...process.env, XMPP_INVITES_TIMING: options.timing ? "1" : "0", NODE_OPTIONS: options.nodeOptions ?? unitNodeOptions() };
  const child: ChildProcess = spawn(process.execPath, [cliPath, "start", "--config", configPath, "--log-format", "json"], { stdio: ["ignore", "pipe", "pipe"], env });
  // Always drained, so a full pipe never blocks the component's logging.
  let timings: TimingLine[] = [];
  const problems: string[] = [];
  if (child.stdout) {
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (!line.startsWith("{")) return;
      const entry = JSON.parse(line) as { timing?: string; level?: number; msg?: string };
      if (typeof entry.timing === "string") timings.push(entry as TimingLine);
      else if ((entry.level ?? 0) >= 40) problems.push(`${entry.msg ?? ""} ${line.slice(0, 300)}`);
    });
  }
  child.stderr?.on("data", (chunk: Buffer) => problems.push(chunk.toString()));
  const ready = await waitForReady(httpPort, child);
  if (!ready) {
    child.kill("SIGKILL");
    db.close();
    throw new Error(`the component did not start: ${problems.join("\n")}`);
  }
  return {
    pid: child.pid ?? 0,
    httpBase: `http://127.0.0.1:${httpPort}`,
    invites,
    takeTimings() {
      const taken = timings;
      timings = [];
      return taken;
    },
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

/** Prosody's own account invites for `host`, made through its admin shell. */
export async function nativeTokens(server: ProsodyServer, count: number, host = server.domain): Promise<string[]> {
  const lines = Array.from({ length: count }, () => `invite:create_account(${JSON.stringify(host)})`).join("\n");
  const { stdout } = await server.prosodyctl(["shell"], `${lines}\n`);
  const tokens = [...stdout.matchAll(/preauth=([A-Za-z0-9_-]+)/g)].map((match) => match[1] ?? "");
  if (tokens.length < count) throw new Error(`prosodyctl made ${tokens.length} of ${count} native invites`);
  return tokens;
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

