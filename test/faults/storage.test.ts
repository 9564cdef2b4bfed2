// A database that refuses writes under a running component: its file on a tiny tmpfs that is then
// filled up (as root, where mounting is allowed), else a write lock held by another process. Every
// door answers with a clear wait error, /healthz says so, reads keep working, nothing is half done.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openInvites } from "../../src/app.js";
import { parseConfig } from "../../src/config/load.js";
import { type ProsodyServer, startProsody } from "../../tools/demo/prosody.js";
import {
  type Attempt, type ComponentProcess, audit, rawClient, registerOverApi, registerOverWebForm, registerOverXmpp,
  startComponent, writeComponentConfig,
} from "./support.js";

let server: ProsodyServer;
let component: ComponentProcess | undefined;
let mountPoint: string;
let mounted = false;
const PASSWORD = "pw-fault-suite-1";

function tryMount(dir: string): boolean {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  server = await startProsody();
  mountPoint = join(server.dir, "small-disk");
  mkdirSync(mountPoint, { recursive: true });
  mounted = tryMount(mountPoint);
});

afterAll(async () => {
  await component?.kill("SIGTERM");
  if (mounted) execFileSync("umount", ["-l", mountPoint], { stdio: "ignore" });
  await server?.stop();
});

/** Makes the database refuse writes; returns how, and how to undo it. */
function refuseWrites(databasePath: string): { how: string; restore(): void } {
  if (mounted) {
    const filler = join(mountPoint, "filler");
    // dd stops with "No space left on device": that is the point.
    try {
      execFileSync("dd", ["if=/dev/zero", `of=${filler}`, "bs=64k"], { stdio: "ignore" });
    } catch {
      // full
    }
    return { how: "tmpfs filled to the last byte (SQLITE_FULL)", restore: () => rmSync(filler) };
  }
  const holder = new Database(databasePath);
  holder.exec("BEGIN IMMEDIATE");
  return {
    how: "write lock held by another process (SQLITE_BUSY after busy_timeout; no permission to mount a tmpfs here)",
    restore: () => {
      holder.exec("ROLLBACK");
      holder.close();
    },
  };
}

describe("a database that refuses writes", () => {
  it("wait/503 at every door, /healthz says so, reads keep working, no account without its use", async () => {
    const databasePath = join(mounted ? mountPoint : server.dir, "invites.sqlite");
    const configPath = join(server.dir, "config.json");
    writeComponentConfig(server, configPath, databasePath, { adapter: { type: "xep0133", timeout: 3 } });
    const { stores, invites } = await openInvites(parseConfig({
      domain: server.domain,
      component: { service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret },
      database: databasePath,
    }));
    const made = [];
    for (let i = 0; i < 4; i++) made.push(await invites.create());
    await stores.close();
    component = await startComponent(configPath);
    const client = await rawClient(server);

    const refusal = refuseWrites(databasePath);
    const attempts: Attempt[] = [
      { token: made[0]!.token, inviteId: made[0]!.invite.id, username: "ro0", door: "xmpp" },
      { token: made[1]!.token, inviteId: made[1]!.invite.id, username: "ro1", door: "api" },
      { token: made[2]!.token, inviteId: made[2]!.invite.id, username: "ro2", door: "web" },
    ];
    let health: { status: number; body: unknown };
    let landing: number;
    let preauth: string | undefined;
    try {
      attempts[0]!.outcome = await registerOverXmpp(client, server.componentDomain, attempts[0]!.token, "ro0", PASSWORD, 20_000);
      attempts[1]!.outcome = await registerOverApi(component.httpUrl, attempts[1]!.token, "ro1", PASSWORD);
      attempts[2]!.outcome = await registerOverWebForm(component.httpUrl, attempts[2]!.token, "ro2", PASSWORD);
      const response = await fetch(`${component.httpUrl}/healthz`);
      health = { status: response.status, body: await response.json() };
      // Reads: the landing page and the XEP-0401 token check.
      landing = (await fetch(`${component.httpUrl}/invite/${made[3]!.token}`)).status;
      const answer = client.reply("pre", 20_000);
      client.send(`<iq type='set' id='pre' to='${server.componentDomain}'><preauth xmlns='urn:xmpp:pars:0' token='${made[3]!.token}'/></iq>`);
      preauth = (await answer)?.attrs.type;
    } finally {
      refusal.restore();
    }
    const during = audit(server, databasePath, attempts);

    // Writes work again: the same tokens register, /healthz is back to ok.
    const healed = await registerOverApi(component.httpUrl, made[1]!.token, "ro1b", PASSWORD);
    const healthAfter = (await fetch(`${component.httpUrl}/healthz`)).status;
    const after = audit(server, databasePath, [...attempts, { token: made[1]!.token, inviteId: made[1]!.invite.id, username: "ro1b", door: "api", outcome: healed }]);
    client.close();
    console.log("read-only database:", JSON.stringify({
      how: refusal.how, outcomes: attempts.map((a) => a.outcome), health, landing, preauth,
      during: { accounts: during.accounts, openClaims: during.openClaims, violations: during.violations.length },
      healed: healed.ok, healthAfter, after: { accounts: after.accounts, recordedUses: after.recordedUses, violations: after.violations.length },
    }));

    expect(attempts[0]!.outcome).toMatchObject({ ok: false, status: "wait/resource-constraint" });
    expect(attempts[1]!.outcome).toMatchObject({ ok: false, status: "503" });
    expect(attempts[1]!.outcome && !attempts[1]!.outcome.ok ? attempts[1]!.outcome.text : "").toContain("storage-unavailable");
    expect(attempts[2]!.outcome).toMatchObject({ ok: false, status: "503" });
    expect(health).toEqual({ status: 503, body: { status: "unavailable", component: "connected", database: "failing" } });
    expect(landing).toBe(200);
    expect(preauth).toBe("result");
    expect(during.accounts).toBe(0);
    expect(during.violations).toEqual([]);
    expect(healed.ok).toBe(true);
    expect(healthAfter).toBe(200);
    expect(after.violations).toEqual([]);
    expect(component.exitReport()).toBeUndefined();
  }, 90_000);
});
