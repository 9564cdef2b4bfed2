// A throwaway ejabberd (Debian package: 23.01 on Debian 12, 24.12 on Debian 13 and in
// bookworm-backports) on loopback, attached with `ejabberdctl … foreground`, with its own config,
// spool and logs in a temp dir: for the adapter contract suite. As root, Debian's ejabberdctl runs everything as the `ejabberd` user, so the
// dir belongs to that user; Erlang distribution uses a fixed loopback port and no epmd.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { type ServerNames, accepts, freePorts } from "./ports.js";
import { packageVersion } from "./versions.js";

export interface EjabberdOptions extends ServerNames {
  /**
   * Load mod_privilege and grant the component XEP-0356 roster and message access (default false:
   * rosters go through the HTTP API). Beware: ejabberd 24.10 to 25.02 then drop every other IQ the
   * component sends (XEP-0133 included); 25.03 fixed it (processone/ejabberd a4062f6).
   */
  privilege?: boolean;
  logLevel?: "info" | "warning" | "error" | "debug";
  /** ejabberd's own in-band registration on unauthenticated streams, open to all (default false). */
  openRegistration?: boolean;
  /** Compiled modules (.beam files) copied into the server's own code path (`-pa`). */
  beams?: string[];
  /**
   * Compiled modules installed instead in ext_mod's contrib folder (CONTRIB_MODULES_PATH), as
   * NAME/NAME.spec and NAME/ebin/NAME.beam, where ejabberd adds them to its code path at start.
   */
  contribBeams?: string[];
  /** YAML lines under `modules:`, indented two spaces, e.g. to load a module from `beams`. */
  extraModules?: string;
  /** Modules for the main domain only (YAML lines indented two spaces, as for `extraModules`). */
  domainModules?: string;
  /** Another host with password accounts, e.g. for ejabberd's own registration beside the main domain's. */
  extraHost?: string;
  /**
   * Several instances connected at once: the `domain_balancing` block of docs/operations.md
   * ("Several instances"), rendered by `domainBalancingYaml` (default: none, one connection).
   */
  domainBalancing?: DomainBalancing;
}

/** ejabberd's `domain_balancing` for the component: which connection gets a stanza, over how many. */
export interface DomainBalancing {
  readonly type: "source" | "bare_source" | "destination" | "bare_destination" | "random";
  /** The number of connection slots; ejabberd (23.01 to 24.12 at least) requires it. */
  readonly componentNumber: number;
}

/** The block the operations guide shows, for `domain` (the tests render theirs with this). */
export function domainBalancingYaml(domain: string, balancing: DomainBalancing): string {
  return `domain_balancing:\n  ${domain}:\n    type: ${balancing.type}\n    component_number: ${balancing.componentNumber}\n`;
}

export interface EjabberdServer {
  readonly dir: string;
  readonly domain: string;
  readonly anonDomain: string;
  readonly componentDomain: string;
  readonly componentSecret: string;
  readonly c2sPort: number;
  readonly componentPort: number;
  readonly httpPort: number;
  /** The Debian package's version, e.g. 24.12-3~bpo12+1. */
  readonly version: string;
  /** mod_http_api base URL, open to loopback without credentials. */
  apiUrl(): string;
  componentService(): string;
  c2sService(): string;
  registerUser(username: string, password: string): Promise<void>;
  stop(): Promise<void>;
}

export function isEjabberdInstalled(): boolean {
  return existsSync("/usr/sbin/ejabberdctl");
}

const API_COMMANDS = ["register", "unregister", "check_account", "change_password", "check_password", "add_rosteritem", "delete_rosteritem", "get_roster", "registered_users", "status"];

function renderConfig(o: Required<Omit<EjabberdOptions, "domainBalancing">> & { domainBalancing: DomainBalancing | undefined } & { c2sPort: number; componentPort: number; httpPort: number }): string {
  const configure = ["    - allow: admin", ...(o.componentAdmin ? ["    - allow: invites_component"] : [])].join("\n");
  // mod_privilege's options name access rules, not ACLs.
  const privilege = o.privilege
    ? `  mod_privilege:\n    roster:\n      both: invites_component\n    message:\n      outgoing: invites_component\n`
    : "";
  const privilegeRule = o.privilege ? "  invites_component:\n    - allow: invites_component\n" : "";
  const modules = `  mod_adhoc: {}
  mod_admin_extra: {}
  mod_configure: {}
  mod_disco: {}
  mod_http_api: {}
  mod_last: {}
  mod_ping: {}
  mod_roster:
    versioning: true
  mod_version:
    show_os: false
${privilege}${o.extraModules ? `${o.extraModules.trimEnd()}\n` : ""}${o.openRegistration ? OPEN_REGISTRATION : ""}`;
  // A host's own modules replace the global list: the domain gets that list plus its own.
  const domainModules = o.domainModules ? `  ${o.domain}:\n    modules:\n${`${modules}${o.domainModules.trimEnd()}`.replace(/^/gm, "    ")}\n` : "";
  return `# Generated for a throwaway test server: loopback only, no TLS, deleted on stop.
loglevel: ${o.logLevel}
log_rotate_count: 0
hosts:
  - ${o.domain}
  - ${o.anonDomain}
${o.extraHost ? `  - ${o.extraHost}\n` : ""}host_config:
  ${o.anonDomain}:
    auth_method: anonymous
    anonymous_protocol: sasl_anon
${domainModules}
auth_method: internal
certfiles: []
acme:
  auto: false
${o.domainBalancing ? domainBalancingYaml(o.componentDomain, o.domainBalancing) : ""}listen:
  - port: ${o.c2sPort}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    access: c2s
    starttls: false
    starttls_required: false
  - port: ${o.componentPort}
    ip: "127.0.0.1"
    module: ejabberd_service
    hosts:
      "${o.componentDomain}":
        password: "${o.componentSecret}"
  - port: ${o.httpPort}
    ip: "127.0.0.1"
    module: ejabberd_http
    request_handlers:
      /api: mod_http_api
acl:
  admin:
    user: admin@${o.domain}
  invites_component:
    server: ${o.componentDomain}
access_rules:
  c2s:
    allow: all
  configure:
${configure}
${privilegeRule}api_permissions:
  "console commands":
    from:
      - ejabberd_ctl
    who: all
    what: "*"
  "loopback HTTP API":
    from:
      - mod_http_api
    who:
      ip: 127.0.0.0/8
    what:
${API_COMMANDS.map((command) => `      - ${command}`).join("\n")}
modules:
${modules}${o.openRegistration ? "registration_timeout: infinity\n" : ""}`;
}

// Without registration_timeout, ejabberd allows one registration per address every 600 s.
const OPEN_REGISTRATION = `  mod_register:
    access: all
    ip_access: all
    password_strength: 0
`;


function run(command: string, args: string[], timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, encoding: "utf8" }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startEjabberd(opts: EjabberdOptions = {}): Promise<EjabberdServer> {
  if (!isEjabberdInstalled()) throw new Error("ejabberd is not installed: apt-get install -y ejabberd");
  const options = {
    domain: opts.domain ?? "example.test",
    anonDomain: opts.anonDomain ?? "anon.example.test",
    componentDomain: opts.componentDomain ?? "invites.example.test",
    componentSecret: opts.componentSecret ?? randomBytes(16).toString("hex"),
    componentAdmin: opts.componentAdmin ?? true,
    privilege: opts.privilege ?? false,
    logLevel: opts.logLevel ?? "warning",
    openRegistration: opts.openRegistration ?? false,
    beams: opts.beams ?? [],
    contribBeams: opts.contribBeams ?? [],
    extraModules: opts.extraModules ?? "",
    domainModules: opts.domainModules ?? "",
    extraHost: opts.extraHost ?? "",
    domainBalancing: opts.domainBalancing,
  };
  const dir = mkdtempSync(join(tmpdir(), "xmpp-invites-ejabberd-"));
  mkdirSync(join(dir, "spool"));
  mkdirSync(join(dir, "logs"));
  mkdirSync(join(dir, "ebin"));
  for (const beam of options.beams) copyFileSync(beam, join(dir, "ebin", basename(beam)));
  for (const beam of options.contribBeams) {
    const name = basename(beam, ".beam");
    mkdirSync(join(dir, "contrib", name, "ebin"), { recursive: true });
    copyFileSync(beam, join(dir, "contrib", name, "ebin", basename(beam)));
    writeFileSync(join(dir, "contrib", name, `${name}.spec`), `{summary, "${name}"}.\n`);
  }
  const [c2sPort, componentPort, httpPort, distPort] = (await freePorts(4)) as [number, number, number, number];
  writeFileSync(join(dir, "ejabberd.yml"), renderConfig({ ...options, c2sPort, componentPort, httpPort }));
  const node = `xiej${randomBytes(3).toString("hex")}@localhost`;
  writeFileSync(join(dir, "ejabberdctl.cfg"), [
    `ERLANG_NODE=${node}`,
    `EJABBERD_PID_PATH=${join(dir, "ejabberd.pid")}`,
    `ERL_DIST_PORT=${distPort}`,
    "INET_DIST_INTERFACE=127.0.0.1",
    `CONTRIB_MODULES_PATH=${join(dir, "contrib")}`,
    `ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0 -pa ${join(dir, "ebin")}"`,
    "",
  ].join("\n"));
  if (existsSync("/etc/ejabberd/inetrc")) copyFileSync("/etc/ejabberd/inetrc", join(dir, "inetrc"));
  chmodSync(dir, 0o755);
  if (process.getuid?.() === 0) await run("chown", ["-R", "ejabberd:ejabberd", dir], 10_000);

  const ctlArgs = ["--config-dir", dir, "--config", join(dir, "ejabberd.yml"), "--ctl-config", join(dir, "ejabberdctl.cfg"), "--spool", join(dir, "spool"), "--logs", join(dir, "logs")];
  const out = openSync(join(dir, "stdout.log"), "a");
  const child: ChildProcess = spawn("ejabberdctl", [...ctlArgs, "foreground"], { cwd: dir, stdio: ["ignore", out, out] });
  closeSync(out);
  const readPid = () => {
    try {
      return Number(readFileSync(join(dir, "ejabberd.pid"), "utf8").trim()) || undefined;
    } catch {
      return undefined;
    }
  };
  let beamPid: number | undefined;
  const killAll = () => {
    if (beamPid !== undefined && alive(beamPid)) process.kill(beamPid, "SIGKILL");
    child.kill("SIGKILL");
  };
  process.once("exit", killAll);

  const logTail = () => {
    try {
      return readFileSync(join(dir, "stdout.log"), "utf8").split("\n").slice(-30).join("\n");
    } catch {
      return "(no log)";
    }
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    beamPid = readPid();
    if (beamPid !== undefined && (await accepts(c2sPort)) && (await accepts(componentPort)) && (await accepts(httpPort))) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      killAll();
      const tail = logTail();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`ejabberd did not come up:\n${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const version = packageVersion("ejabberd") ?? "unknown";
  const apiUrl = `http://127.0.0.1:${httpPort}/api`;
  let stopped = false;

  return {
    dir, ...options, c2sPort, componentPort, httpPort, version,
    apiUrl: () => apiUrl,
    componentService: () => `xmpp://127.0.0.1:${componentPort}`,
    c2sService: () => `xmpp://127.0.0.1:${c2sPort}`,
    async registerUser(username, password) {
      const response = await fetch(`${apiUrl}/register`, { method: "POST", body: JSON.stringify({ user: username, host: options.domain, password }) });
      if (!response.ok) throw new Error(`register ${username}: HTTP ${response.status} ${await response.text()}`);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off("exit", killAll);
      await run("ejabberdctl", [...ctlArgs, "stop"], 20_000);
      const until = Date.now() + 10_000;
      while (beamPid !== undefined && alive(beamPid) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
      killAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
