// The README's main command: `npm run demo` brings up Prosody and the component and prints a
// working invite link. `--once` redeems that link itself and logs in, then cleans up.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

describe("npm run demo", () => {
  it("prints a working invite link, which redeems to an account that logs in", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", resolve("tools/demo/main.ts"), "--once"], { encoding: "utf8", timeout: 60_000 });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Invite link: http:\/\/127\.0\.0\.1:\d+\/invite\/[A-Za-z0-9]{24}$/m);
    expect(result.stdout).toMatch(/the XMPP URI is xmpp:example\.test\?register;preauth=[A-Za-z0-9]{24}/);
    expect(result.stdout).toMatch(/redeem 'xmpp:example\.test\?register;preauth=[A-Za-z0-9]{24}' --username alice/);
    expect(result.stdout).toMatch(/Self-check: the invite page answered 200; redeemed the invite as demo-user and logged in as demo-user@example\.test/);
  });
});
