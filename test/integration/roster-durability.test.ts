// The roster step is recorded before it runs: neither a server restart nor the component going
// away between account creation and subscription leaves the pair half-subscribed.
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp, openInvites } from "../../src/app.js";
import { openSqliteStores } from "../../src/adapters/store/sqlite/index.js";
import { parseConfig } from "../../src/config/load.js";
import { type ProsodyServer, startProsody } from "../../tools/demo/prosody.js";
import { redeemAnonymously, rosterOf } from "../helpers/clients.js";
import { captureLog } from "../helpers/logger.js";
import { rosterStepsDone, until } from "../helpers/wait.js";

let server: ProsodyServer;
const apps: App[] = [];

function newApp(): App {
  const app = createApp(parseConfig({
    domain: server.domain,
    component: { service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret },
    http: { listen: "127.0.0.1:0" },
    database: join(server.dir, "invites.sqlite"),
  }), captureLog("info").log, { backoff: { initialMs: 200, maxMs: 1000 }, rosterRetry: { initialMs: 200, maxMs: 1000 } });
  apps.push(app);
  return app;
}

beforeAll(async () => {
  server = await startProsody();
  await server.registerUser("romeo", "pw-oemor-1234567");
  await server.registerUser("mercutio", "pw-oitucrem-1234567");
});

afterAll(async () => {
  for (const app of apps) await app.stop().catch(() => undefined);
  await server?.stop();
});

describe("roster steps survive restarts and crashes", () => {
  it("Prosody restarts after the account is created and before the subscription: the step is done after reconnecting", async () => {
    const app = newApp();
    await app.start();
    // Hold the roster steps, as if the server had gone away right after the account was created.
    await app.rosterTasks.stop();
    const { token } = await app.invites.create({ type: "contact", inviter: `romeo@${server.domain}`, allowRegistration: true });
    expect((await redeemAnonymously(server, token, "benvolio", "pw-oilovneb-1234567")).ok).toBe(true);
    expect((await app.stores.rosterQueue.tasksFor(`benvolio@${server.domain}`)).map((t) => t.doneAt)).toEqual([null, null]);

    await server.restart();
    await until(() => app.connection.isOnline() && app.roster.isAvailable(), 15_000, "reconnection and privileges");
    app.rosterTasks.start();
    await rosterStepsDone(app, `benvolio@${server.domain}`);
    expect((await rosterOf(server, "romeo", "pw-oemor-1234567")).get(`benvolio@${server.domain}`)?.subscription).toBe("both");
    expect((await rosterOf(server, "benvolio", "pw-oilovneb-1234567")).get(`romeo@${server.domain}`)?.subscription).toBe("both");
    await app.stop();
  });

  it("the component process is killed (SIGKILL) while the subscription is being written: the next start finishes it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xmpp-invites-crash-"));
    // A roster writer that starts and never finishes, so the kill lands with the step in flight.
    const writer = join(dir, "prosodyctl");
    const started = join(dir, "started");
    writeFileSync(writer, `#!/bin/sh\necho $$ > ${JSON.stringify(started)}\nexec sleep 120\n`);
    chmodSync(writer, 0o755);
    const configPath = join(dir, "config.json");
    const database = join(server.dir, "invites.sqlite");
    const config = {
      domain: server.domain,
      component: { service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret },
      http: { listen: "127.0.0.1:0" },
      database,
      adapter: { type: "xep0133", roster: { type: "prosodyctl", config: server.configPath, command: writer } },
    };
    writeFileSync(configPath, JSON.stringify(config));
    const { stores, invites } = await openInvites(parseConfig(config));
    const { token } = await invites.create({ type: "contact", inviter: `mercutio@${server.domain}`, allowRegistration: true });
    await stores.close();

    let output = "";
    const child = spawn(process.execPath, ["--import", "tsx", resolve("src/cli/main.ts"), "start", "--config", configPath], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.on("data", (chunk: Buffer) => { output += chunk.toString("utf8"); });
    child.stderr?.on("data", (chunk: Buffer) => { output += chunk.toString("utf8"); });
    const exited = new Promise<NodeJS.Signals | null>((done) => child.once("exit", (_code, signal) => done(signal)));
    try {
      await until(() => output.includes("connected to the XMPP server"), 20_000, "the component process to connect");
      expect((await redeemAnonymously(server, token, "tybalt", "pw-tlabyt-1234567")).ok).toBe(true);
      await until(() => existsSync(started) && readFileSync(started, "utf8").trim() !== "", 10_000, "the roster step to start");
      child.kill("SIGKILL");
      expect(await exited).toBe("SIGKILL");
    } finally {
      child.kill("SIGKILL");
      // The writer the killed process left behind.
      const pid = existsSync(started) ? Number(readFileSync(started, "utf8").trim()) : 0;
      if (pid > 0) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    }

    // The account exists and its roster steps are recorded, not done.
    const after = openSqliteStores(database);
    expect((await after.rosterQueue.tasksFor(`tybalt@${server.domain}`)).map((task) => task.doneAt)).toEqual([null, null]);
    await after.close();
    await server.restart();

    const second = newApp();
    await second.start();
    await rosterStepsDone(second, `tybalt@${server.domain}`, 15_000);
    expect((await rosterOf(server, "mercutio", "pw-oitucrem-1234567")).get(`tybalt@${server.domain}`)?.subscription).toBe("both");
    expect((await rosterOf(server, "tybalt", "pw-tlabyt-1234567")).get(`mercutio@${server.domain}`)?.subscription).toBe("both");
  }, 60_000);
});
