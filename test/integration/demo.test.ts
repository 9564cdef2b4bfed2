// The README's main command: `npm run demo` brings up Prosody and the component and prints a
// working invite link. `--once` redeems that link itself and logs in, then cleans up.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "../../tools/demo/ports.js";

describe("npm run demo", () => {
  it("prints a working invite link, which redeems to an account that logs in", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", resolve("tools/demo/main.ts"), "--once"], { encoding: "utf8", timeout: 60_000 });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Invite link: http:\/\/127\.0\.0\.1:\d+\/invite\/[A-Za-z0-9]{24}$/m);
    expect(result.stdout).toMatch(/the XMPP URI is xmpp:example\.test\?register;preauth=[A-Za-z0-9]{24}/);
    expect(result.stdout).toMatch(/redeem 'xmpp:example\.test\?register;preauth=[A-Za-z0-9]{24}' --username alice/);
    expect(result.stdout).toMatch(/Self-check: the invite page answered 200; redeemed the invite as demo-user and logged in as demo-user@example\.test/);
    // The last line says what was cleaned up, and it was.
    const last = /^Stopped Prosody and the component; deleted (\S+)\.$/.exec(result.stdout.trimEnd().split("\n").at(-1) ?? "");
    expect(last).not.toBeNull();
    expect(existsSync(last?.[1] ?? "")).toBe(false);
  });

  it("--host, --port and --xmpp-port fix where it listens, and the links say so", async () => {
    const [web, xmpp] = [await freePort(), await freePort()];
    const result = spawnSync(process.execPath, ["--import", "tsx", resolve("tools/demo/main.ts"), "--once", "--host", "127.0.0.1", "--port", String(web), "--xmpp-port", String(xmpp)], { encoding: "utf8", timeout: 60_000 });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Invite link: http://127\\.0\\.0\\.1:${web}/invite/[A-Za-z0-9]{24}$`, "m"));
    expect(result.stdout).toContain(`--server xmpp://127.0.0.1:${xmpp} `);
    expect(result.stdout).toMatch(/Self-check: the invite page answered 200/);
  });

  it("--help describes the flags; a bad port is a usage error", () => {
    const help = spawnSync(process.execPath, ["--import", "tsx", resolve("tools/demo/main.ts"), "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    for (const flag of ["--once", "--host ADDRESS", "--port N", "--xmpp-port N"]) expect(help.stdout).toContain(flag);
    const bad = spawnSync(process.execPath, ["--import", "tsx", resolve("tools/demo/main.ts"), "--port", "99999"], { encoding: "utf8" });
    expect(bad.status).toBe(64);
    expect(bad.stderr).toContain('--port: "99999" is not a port number');
  });
});
