// The operator's story end to end, with the built CLI against a real Prosody: write config.json,
// create an invite, start the component, redeem over XMPP, stop with SIGTERM.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProsodyServer, startProsody } from "../../tools/demo/prosody.js";
import { canLogin } from "../helpers/clients.js";

const BIN = resolve("dist/cli/main.js");
let server: ProsodyServer;
let configPath: string;

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args, "--config", configPath], { encoding: "utf8", timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; got:\n${seen}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString("utf8");
      const line = seen.split("\n").find((l) => pattern.test(l));
      if (line) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        resolvePromise(line);
      }
    };
    child.stdout?.on("data", onData);
  });
}

beforeAll(async () => {
  server = await startProsody();
  configPath = join(server.dir, "config.json");
  writeFileSync(configPath, JSON.stringify({
    domain: server.domain,
    component: { service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret },
    database: "./state/invites.sqlite",
    invite_expiry: "1d",
    http: { listen: "127.0.0.1:0" },
  }));
});

afterAll(async () => {
  await server?.stop();
});

describe("operator workflow with the xmpp-invites command", () => {
  it("invite create → start → redeem over XMPP → log in → SIGTERM stops cleanly", async () => {
    const created = cli("invite", "create", "--json", "--note", "e2e");
    expect(created.code).toBe(0);
    const invite = JSON.parse(created.stdout) as { id: string; uri: string; token: string };

    const component = spawn(process.execPath, [BIN, "start", "--config", configPath], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      await waitForLine(component, /connected to the XMPP server/, 15_000);
      const redeemed = spawnSync(process.execPath, [
        BIN, "redeem", invite.uri, "--username", "operatorpick", "--server", server.c2sService(),
        "--anonymous-domain", server.anonDomain, "--config", configPath, "--json",
      ], { encoding: "utf8", env: { ...process.env, XMPP_INVITES_PASSWORD: "operator-pick-pw-1" }, timeout: 30_000 });
      expect(redeemed.stderr).toBe("");
      expect(JSON.parse(redeemed.stdout)).toEqual({ jid: `operatorpick@${server.domain}` });
      expect(await canLogin(server, "operatorpick", "operator-pick-pw-1")).toBe(true);

      // The CLI sees the use the running component recorded (same database, WAL).
      expect(JSON.parse(cli("invite", "show", invite.id, "--json").stdout)).toMatchObject({ uses: 1, status: "used" });
      const again = spawnSync(process.execPath, [
        BIN, "redeem", invite.uri, "--username", "second", "--password", "pw-dnoces-1234567", "--server", server.c2sService(),
        "--anonymous-domain", server.anonDomain, "--component", server.componentDomain,
      ], { encoding: "utf8", timeout: 30_000 });
      expect(again.status).toBe(1);
      expect(again.stderr).toContain("forbidden: The invite token is invalid or expired");
    } finally {
      const exited = new Promise<number | null>((done) => component.once("exit", (code) => done(code)));
      component.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  });

  it("a revoked invite is refused by the running component", async () => {
    const invite = JSON.parse(cli("invite", "create", "--json").stdout) as { id: string; uri: string };
    expect(cli("invite", "revoke", invite.id).code).toBe(0);
    const component = spawn(process.execPath, [BIN, "start", "--config", configPath], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      await waitForLine(component, /connected to the XMPP server/, 15_000);
      const result = spawnSync(process.execPath, [
        BIN, "redeem", invite.uri, "--username", "revokee", "--password", "pw-eekover-1234567", "--server", server.c2sService(),
        "--anonymous-domain", server.anonDomain, "--component", server.componentDomain,
      ], { encoding: "utf8", timeout: 30_000 });
      expect(result.stderr).toContain("forbidden");
      expect(await canLogin(server, "revokee", "pw-eekover-1234567")).toBe(false);
    } finally {
      component.kill("SIGTERM");
      await new Promise((done) => component.once("exit", done));
    }
  });

  it("/metrics counts what the store holds, whichever process wrote it (invites made with the CLI while the component runs)", async () => {
    const component = spawn(process.execPath, [BIN, "start", "--config", configPath], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    component.stdout?.on("data", (chunk: Buffer) => { out += chunk.toString("utf8"); });
    try {
      await waitForLine(component, /connected to the XMPP server/, 15_000);
      const url = /"url":"(http:\/\/[^"]+)"/.exec(out)?.[1];
      expect(url).toBeDefined();
      const gauge = async (series: string) => {
        const text = await (await fetch(`${url}/metrics`)).text();
        const line = text.split("\n").find((l) => l.startsWith(`${series} `));
        return line === undefined ? 0 : Number(line.split(" ")[1]);
      };
      const before = await gauge('xmpp_invites_invites{kind="reset",status="active"}');
      expect(cli("invite", "create", "--reset", "someone", "--json").code).toBe(0);
      expect(cli("invite", "create", "--reset", "someone-else", "--json").code).toBe(0);
      expect(await gauge('xmpp_invites_invites{kind="reset",status="active"}')).toBe(before + 2);
      // The redemption the first test recorded, read back from the store by a process that did not make it.
      expect(await gauge('xmpp_invites_registrations_total{door="xmpp",action="created"}')).toBeGreaterThanOrEqual(1);
      expect(await gauge("xmpp_invites_store_readable")).toBe(1);
    } finally {
      component.kill("SIGTERM");
      await new Promise((done) => component.once("exit", done));
    }
  });

  it("a wrong component secret stops start-up with a clear error instead of retrying forever", () => {
    const badConfig = join(server.dir, "bad-secret.json");
    writeFileSync(badConfig, JSON.stringify({
      domain: server.domain,
      component: { service: server.componentService(), domain: server.componentDomain, secret: "not-the-secret" },
      database: "./state/other.sqlite",
      http: { listen: "127.0.0.1:0" },
    }));
    const result = spawnSync(process.execPath, [BIN, "start", "--config", badConfig], { encoding: "utf8", timeout: 30_000 });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("refused the component secret");
    expect(result.stderr + result.stdout).not.toContain("not-the-secret");
  });
});
