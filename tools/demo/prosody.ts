// A throwaway Prosody (Debian package) on loopback, with its own temporary config and data:
// used by `npm run demo` and by the integration tests. Stops exactly the process it started.
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { type ServerNames, accepts, freePort } from "./ports.js";
import { packageVersion } from "./versions.js";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface ProsodyOptions extends ServerNames {
  /** Load Prosody's own invite modules on the vhost (default false). */
  nativeInvites?: boolean;
  admins?: string[];
  logLevel?: "debug" | "info" | "warn" | "error";
  dir?: string;
  /** PBKDF2 iterations for new accounts (`default_iteration_count`). */
  iterationCount?: number;
  /** More ordinary virtual hosts, e.g. to have users of another domain. */
  extraHosts?: string[];
  /** More modules and raw config lines for the main virtual host. */
  vhostModules?: string[];
  vhostLines?: string[];
  /** Another virtual host with Prosody's own invite registration, e.g. beside the bridge on the main one. */
  nativeInvitesHost?: string;
  /** Load this package's bridge module (prosody/mod_xmpp_invites.lua) on the main virtual host. */
  bridge?: boolean;
  /** Fixed ports instead of free ones picked at random (0 or absent: pick one). */
  ports?: { c2s?: number; component?: number; http?: number };
  /** Where the client port listens (default 127.0.0.1); the component port stays on loopback. */
  listen?: string;
  /**
   * Server-to-server with other throwaway Prosody processes: listen on `port`, and reach each
   * domain in `routes` at 127.0.0.1:its port (tools/demo/prosody-loopback), not through DNS.
   */
  s2s?: { port: number; routes: Record<string, number> };
}

export interface ProsodyServer {
  readonly dir: string;
  readonly configPath: string;
  readonly logPath: string;
  readonly domain: string;
  readonly anonDomain: string;
  readonly componentDomain: string;
  readonly componentSecret: string;
  readonly host: string;
  readonly c2sPort: number;
  readonly componentPort: number;
  readonly httpPort: number;
  readonly version: string;
  pid(): number | undefined;
  componentService(): string;
  c2sService(): string;
  prosodyctl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Creates an account with prosodyctl (on `host`, default the main domain). */
  registerUser(username: string, password: string, host?: string): Promise<void>;
  stopProcess(): Promise<void>;
  startProcess(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const PRIVILEGE_MODULE = "/usr/lib/prosody/modules/mod_privilege/mod_privilege.lua";
/** The package's Prosody modules: <package>/prosody. */
export const BRIDGE_PLUGIN_PATH = fileURLToPath(new URL("../../prosody", import.meta.url));
/** Test-only modules for throwaway servers (s2s on loopback). */
const LOOPBACK_PLUGIN_PATH = fileURLToPath(new URL("./prosody-loopback", import.meta.url));

function onPath(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export function isProsodyInstalled(): boolean {
  return onPath("prosody") && onPath("prosodyctl") && existsSync(PRIVILEGE_MODULE);
}

export async function ensureProsodyInstalled(log: (line: string) => void = () => undefined): Promise<void> {
  if (isProsodyInstalled()) return;
  if (process.getuid?.() !== 0) {
    throw new Error("Prosody is not installed. Install it with: sudo apt-get install -y prosody prosody-modules");
  }
  const apt = (args: string[]) =>
    new Promise<void>((resolve, reject) => {
      log(`running apt-get ${args.join(" ")}`);
      execFile("apt-get", args, { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, maxBuffer: 64 * 1024 * 1024 }, (err) =>
        err ? reject(err) : resolve());
    });
  try {
    await apt(["install", "-y", "-qq", "prosody", "prosody-modules"]);
  } catch {
    await apt(["update", "-qq"]);
    await apt(["install", "-y", "-qq", "prosody", "prosody-modules"]);
  }
  if (!isProsodyInstalled()) throw new Error("apt-get finished but prosody or prosody-modules is still missing");
}


const lua = (value: string) => JSON.stringify(value); // a JSON string is a valid Lua string literal here

function renderConfig(o: {
  dir: string; domain: string; anonDomain: string; componentDomain: string; componentSecret: string;
  c2sPort: number; componentPort: number; httpPort: number; admins: string[]; logLevel: string; listen: string;
  privilege: boolean; nativeInvites: boolean; iterationCount: number | undefined; extraHosts: string[];
  vhostModules: string[]; vhostLines: string[]; bridge: boolean; nativeInvitesHost: string | undefined;
  s2s: { port: number; routes: Record<string, number> } | undefined;
}): string {
  const vhostModules = [...(o.privilege ? ["privilege"] : []), ...(o.nativeInvites ? ["register", "invites", "invites_register", "invites_adhoc"] : []), ...(o.bridge ? ["xmpp_invites"] : []), ...o.vhostModules];
  const vhostLines = [...(o.bridge ? [`xmpp_invites_component = ${lua(o.componentDomain)}`] : []), ...o.vhostLines];
  const pluginPaths = [...(o.bridge ? [BRIDGE_PLUGIN_PATH] : []), ...(o.s2s ? [LOOPBACK_PLUGIN_PATH] : [])];
  const s2sRoutes = Object.entries(o.s2s?.routes ?? {}).map(([domain, port]) => `[${lua(domain)}] = ${port}`).join(", ");
  return `-- Generated for a throwaway test server: loopback only, no TLS, deleted on stop.
run_as_root = true -- only matters as uid 0: mod_posix refuses root otherwise
pidfile = ${lua(join(o.dir, "prosody.pid"))}
data_path = ${lua(join(o.dir, "data"))}
log = { { levels = { min = ${lua(o.logLevel)} }, to = "file", filename = ${lua(join(o.dir, "prosody.log"))} } }

interfaces = { ${lua(o.listen)} }
c2s_ports = { ${o.c2sPort} }
c2s_direct_tls_ports = { }
component_ports = { ${o.componentPort} }
component_interfaces = { ${lua(o.listen)} }
http_ports = { ${o.httpPort} }
http_interfaces = { ${lua(o.listen)} }
https_ports = { }
s2s_ports = { ${o.s2s ? `${o.s2s.port} }\ns2s_interfaces = { "127.0.0.1"` : ""} }

c2s_require_encryption = false
s2s_require_encryption = false
allow_unencrypted_plain_auth = true
${o.iterationCount === undefined ? "" : `default_iteration_count = ${o.iterationCount}\n`}${pluginPaths.length > 0 ? `plugin_paths = { ${pluginPaths.map(lua).join(", ")} }\n` : ""}${o.s2s ? `s2s_secure_auth = false\ns2s_loopback_routes = { ${s2sRoutes} }\n` : ""}
admins = { ${o.admins.map(lua).join(", ")} }
registration_watchers = { } -- else every registration messages every admin, the component included

modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "version"; "admin_adhoc"; "admin_shell";${o.s2s ? ' "dialback"; "s2s_loopback";' : ""} }
modules_disabled = { ${o.s2s ? "" : '"s2s"; '}"s2s_auth_certs" }

VirtualHost ${lua(o.domain)}
  authentication = "internal_hashed"
${o.nativeInvites ? "  allow_registration = true\n  registration_invite_only = true\n" : ""}  modules_enabled = { ${vhostModules.map((m) => `${lua(m)};`).join(" ")} }
${o.privilege ? `  privileged_entities = { [${lua(o.componentDomain)}] = { roster = "both"; message = "outgoing"; presence = "roster" } }\n` : ""}${vhostLines.map((line) => `  ${line}\n`).join("")}
VirtualHost ${lua(o.anonDomain)}
  authentication = "anonymous"
${o.extraHosts.map((host) => `\nVirtualHost ${lua(host)}\n  authentication = "internal_hashed"\n`).join("")}${o.nativeInvitesHost === undefined ? "" : `
VirtualHost ${lua(o.nativeInvitesHost)}
  authentication = "internal_hashed"
  allow_registration = true
  registration_invite_only = true
  modules_enabled = { "register"; "invites"; "invites_register"; }
`}
Component ${lua(o.componentDomain)}
  component_secret = ${lua(o.componentSecret)}
${o.privilege ? '  modules_enabled = { "privilege" }\n' : ""}`;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once("exit", () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test run that dies must not leave servers behind.
  process.once("exit", () => {
    for (const c of running) c.kill("SIGKILL");
  });
}

export async function startProsody(opts: ProsodyOptions = {}): Promise<ProsodyServer> {
  const domain = opts.domain ?? "example.test";
  const anonDomain = opts.anonDomain ?? "anon.example.test";
  const componentDomain = opts.componentDomain ?? "invites.example.test";
  const componentSecret = opts.componentSecret ?? randomBytes(16).toString("hex");
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "xmpp-invites-prosody-"));
  mkdirSync(join(dir, "data"), { recursive: true });
  const port = async (fixed: number | undefined) => (fixed ? fixed : await freePort());
  const [c2sPort, componentPort, httpPort] = [await port(opts.ports?.c2s), await port(opts.ports?.component), await port(opts.ports?.http)];
  const listen = opts.listen ?? "127.0.0.1";
  const reachAt = ["0.0.0.0", "::", "*"].includes(listen) ? "127.0.0.1" : listen;
  const admins = [...(opts.admins ?? [`admin@${domain}`]), ...(opts.componentAdmin === false ? [] : [componentDomain])];
  const configPath = join(dir, "prosody.cfg.lua");
  const logPath = join(dir, "prosody.log");
  writeFileSync(configPath, renderConfig({
    dir, domain, anonDomain, componentDomain, componentSecret, c2sPort, componentPort, httpPort, admins, listen,
    logLevel: opts.logLevel ?? "info", privilege: opts.privilege ?? true, nativeInvites: opts.nativeInvites ?? false,
    iterationCount: opts.iterationCount, extraHosts: opts.extraHosts ?? [],
    vhostModules: opts.vhostModules ?? [], vhostLines: opts.vhostLines ?? [], bridge: opts.bridge ?? false,
    nativeInvitesHost: opts.nativeInvitesHost, s2s: opts.s2s,
  }));

  // Only informative: dpkg's version, "unknown" off Debian.
  const version = packageVersion("prosody") ?? "unknown";

  let child: ChildProcess | undefined;
  let removed = false;

  const logTail = () => {
    try {
      return readFileSync(logPath, "utf8").split("\n").slice(-30).join("\n") + readFileSync(join(dir, "stdout.log"), "utf8").split("\n").slice(-10).join("\n");
    } catch {
      return "(no log)";
    }
  };

  const startProcess = async () => {
    const out = openSync(join(dir, "stdout.log"), "a");
    const proc = spawn("prosody", ["-F", "--config", configPath], { stdio: ["ignore", out, out] });
    closeSync(out);
    child = proc;
    killOnExit(proc);
    let exited: string | undefined;
    proc.once("exit", (code, signal) => { exited = `exited with ${signal ?? code}`; });
    proc.once("error", (err) => { exited = err.message; });
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (exited) throw new Error(`Prosody ${exited} during start-up:\n${logTail()}`);
      const ready = existsSync(join(dir, "data", "prosody.sock"))
        && (await accepts(c2sPort, reachAt)) && (await accepts(componentPort));
      if (ready) return;
      if (Date.now() > deadline) {
        proc.kill("SIGKILL");
        throw new Error(`Prosody did not come up within 15 s:\n${logTail()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const stopProcess = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
    // A stale admin socket would make the next start look ready too early.
    rmSync(join(dir, "data", "prosody.sock"), { force: true });
  };

  const prosodyctl = (args: string[], input?: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const proc = execFile("prosodyctl", ["--config", configPath, ...args], { encoding: "utf8" }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
      if (input !== undefined) proc.stdin?.end(input);
      else proc.stdin?.end();
    });

  const server: ProsodyServer = {
    dir, configPath, logPath, domain, anonDomain, componentDomain, componentSecret,
    host: listen, c2sPort, componentPort, httpPort, version,
    pid: () => child?.pid,
    componentService: () => `xmpp://127.0.0.1:${componentPort}`,
    c2sService: () => `xmpp://${reachAt.includes(":") ? `[${reachAt}]` : reachAt}:${c2sPort}`,
    prosodyctl,
    async registerUser(username, password, host = domain) {
      const result = await prosodyctl(["register", username, host, password]);
      if (result.code !== 0) throw new Error(`prosodyctl register ${username} failed: ${result.stderr || result.stdout}`);
    },
    stopProcess,
    startProcess,
    async restart() {
      await stopProcess();
      await startProcess();
    },
    async stop() {
      await stopProcess();
      if (!removed && !opts.dir) rmSync(dir, { recursive: true, force: true });
      removed = true;
    },
  };

  try {
    await startProcess();
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
