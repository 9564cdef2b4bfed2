// The packed artefact as an operator installs it: `npm pack`, then `npm install -g` into a
// throwaway prefix and `npm install --omit=dev` into a folder, and the installed command run
// against a real Prosody: --version, check-config, start, invite create, and a registration.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProsodyServer, startProsody } from "../../tools/demo/prosody.js";
import { canLogin } from "../helpers/clients.js";
import { until } from "../helpers/wait.js";

const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string; scripts: Record<string, string> };
const dir = mkdtempSync(join(tmpdir(), "xmpp-invites-pack-"));
// The installed command finds `node` on PATH, as it would on a server: the one running the tests.
// npm turns on Node's compile cache, which would otherwise stay behind in the temporary folder.
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env["PATH"] ?? ""}`, npm_config_update_notifier: "false", NODE_DISABLE_COMPILE_CACHE: "1" };
const prefix = join(dir, "prefix");
const bin = join(prefix, "bin", "xmpp-invites");
let tarball = "";
let installLog = "";
let server: ProsodyServer | undefined;
let service: ChildProcess | undefined;

function npm(args: string[], cwd = dir): string {
  const result = spawnSync("npm", args, { cwd, env, encoding: "utf8", timeout: 240_000 });
  if (result.status !== 0) throw new Error(`npm ${args.join(" ")} failed (${String(result.status)}):\n${result.stdout}\n${result.stderr}`);
  return `${result.stdout}${result.stderr}`;
}

function run(...args: string[]) {
  const result = spawnSync(bin, args, { env, encoding: "utf8", timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  // `npm test` has just built dist/; prepack would build it again under the other test files' feet.
  const packed = JSON.parse(execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], { env, encoding: "utf8" })) as Array<{ filename: string }>;
  tarball = join(dir, packed[0]?.filename ?? "missing.tgz");
  installLog = npm(["install", "--global", "--prefix", prefix, "--no-audit", "--no-fund", tarball]);
}, 300_000);

afterAll(async () => {
  if (service && service.exitCode === null) {
    const exited = new Promise((resolve) => service?.once("exit", resolve));
    service.kill("SIGKILL");
    await exited;
  }
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the packed tarball", () => {
  it("holds the built command, the systemd unit and the example config; no sources, tests or tools", () => {
    const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean);
    for (const file of ["package/dist/cli/main.js", "package/prosody/mod_xmpp_invites.lua", "package/ejabberd/mod_xmpp_invites.erl", "package/systemd/xmpp-invites.service", "package/config.example.json", "package/dist/http/static/style.css", "package/dist/http/static/favicon.svg", "package/README.md", "package/package.json"]) {
      expect(files).toContain(file);
    }
    expect(files.filter((file) => /^package\/(src|test|scripts|tools)\/|\.map$|\.beam$|^package\/dist\/(demo|bench)\//.test(file))).toEqual([]);
  });

  it("builds at pack time, not at install time, and npm start runs the built code", () => {
    expect(pkg.scripts["prepack"]).toMatch(/\bnpm run build\b/);
    expect(pkg.scripts["prepare"]).toBeUndefined();
    expect(pkg.scripts["install"] ?? pkg.scripts["postinstall"] ?? pkg.scripts["preinstall"]).toBeUndefined();
    // The built code, with the same Node flags as the shipped systemd unit.
    const unit = readFileSync("systemd/xmpp-invites.service", "utf8");
    const nodeOptions = /^Environment=NODE_OPTIONS=(.*)$/m.exec(unit)?.[1];
    expect(nodeOptions).toBeDefined();
    expect(pkg.scripts["start"]).toBe(`node ${nodeOptions} dist/cli/main.js start`);
  });

  it("installs globally without engine warnings and puts an executable xmpp-invites on PATH", () => {
    expect(installLog).not.toContain("EBADENGINE");
    expect(statSync(bin).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(prefix, "lib", "node_modules", "xmpp-invites", "dist", "cli", "main.js"), "utf8")).toMatch(/^#!\/usr\/bin\/env node\n/);
    const { code, stdout } = run("--version");
    expect(code).toBe(0);
    expect(stdout).toBe(`xmpp-invites ${pkg.version}\n`);
  });

  it("installs with --omit=dev into a folder, with a working command and no development package", () => {
    const app = join(dir, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "deployment", private: true }));
    const log = npm(["install", "--omit=dev", "--no-audit", "--no-fund", tarball], app);
    expect(log).not.toContain("EBADENGINE");
    for (const dev of ["typescript", "vitest", "playwright-core"]) expect(existsSync(join(app, "node_modules", dev))).toBe(false);
    const result = spawnSync(join(app, "node_modules", ".bin", "xmpp-invites"), ["--version"], { env, encoding: "utf8" });
    expect(result.stdout).toBe(`xmpp-invites ${pkg.version}\n`);
  }, 240_000); // npm's install takes 10 s here; a slower machine must not turn that into a timeout

  it("the installed command compiles the shipped ejabberd module for the ejabberd installed here", () => {
    const out = join(dir, "ejabberd-ebin");
    const { code, stdout, stderr } = run("ejabberd-module", "build", "--out", out);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Built .*mod_xmpp_invites\.beam for ejabberd /);
    expect(existsSync(join(out, "mod_xmpp_invites.beam"))).toBe(true);
  });

  it("the shipped unit runs the installed command as its own user, sandboxed, with a state folder", () => {
    const unit = readFileSync(join(prefix, "lib", "node_modules", "xmpp-invites", "systemd", "xmpp-invites.service"), "utf8");
    for (const line of ["User=xmpp-invites", "StateDirectory=xmpp-invites", "ProtectSystem=strict", "NoNewPrivileges=yes", "Restart=on-failure", "RestartPreventExitStatus=78"]) {
      expect(unit.split("\n")).toContain(line);
    }
    expect(unit).toMatch(/^ExecStart=.*xmpp-invites start --config \/etc\/xmpp-invites\/config\.json$/m);
  });

  it("registers an account end to end through the installed command on a real Prosody", async () => {
    server = await startProsody();
    const config = join(dir, "config.json");
    writeFileSync(config, JSON.stringify({
      domain: server.domain,
      component: { service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret },
      database: "./state/invites.sqlite",
      admins: [`admin@${server.domain}`],
    }));
    chmodSync(config, 0o600);

    const check = run("check-config", "--config", config);
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/: valid\n/);
    expect(check.stdout).not.toContain("warning");

    let output = "";
    service = spawn(bin, ["start", "--config", config, "--log-format", "json"], { env, stdio: ["ignore", "pipe", "pipe"] });
    service.stdout?.on("data", (chunk: Buffer) => { output += chunk.toString("utf8"); });
    service.stderr?.on("data", (chunk: Buffer) => { output += chunk.toString("utf8"); });
    await until(() => output.includes("connected to the XMPP server") || service?.exitCode !== null, 30_000, "the installed service to connect");
    expect(service.exitCode).toBeNull();

    const created = run("invite", "create", "--json", "--config", config);
    expect(created.code).toBe(0);
    const { uri } = JSON.parse(created.stdout) as { uri: string };
    const redeemed = spawnSync(bin, ["redeem", uri, "--username", "operator-check", "--server", server.c2sService(),
      "--anonymous-domain", server.anonDomain, "--component", server.componentDomain], {
      env: { ...env, XMPP_INVITES_PASSWORD: "a-long-password-1" }, encoding: "utf8", timeout: 60_000,
    });
    expect(redeemed.stderr).toBe("");
    expect(redeemed.stdout).toBe(`Registered operator-check@${server.domain}\n`);
    expect(await canLogin(server, "operator-check", "a-long-password-1")).toBe(true);

    const exited = new Promise<number | null>((done) => service?.once("exit", (code) => done(code)));
    service.kill("SIGTERM");
    expect(await exited).toBe(0);
    for (const line of output.split("\n").filter(Boolean)) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(output).not.toContain(server.componentSecret);
    expect(output).not.toContain("a-long-password-1");
  });
});

