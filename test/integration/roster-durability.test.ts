// The roster step is recorded before it runs: neither a server restart nor the component going
// away between account creation and subscription leaves the pair half-subscribed.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../../src/app.js";
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

describe("roster steps survive restarts", () => {
  it("Prosody restarts after the account is created and before the subscription: the step is done after reconnecting", async () => {
    const app = newApp();
    await app.start();
    // Hold the roster steps, as if the server had gone away right after the account was created.
    await app.rosterTasks.stop();
    const { token } = app.invites.create({ type: "contact", inviter: `romeo@${server.domain}`, allowRegistration: true });
    expect((await redeemAnonymously(server, token, "benvolio", "pw-oilovneb-1234567")).ok).toBe(true);
    expect(app.stores.rosterQueue.tasksFor(`benvolio@${server.domain}`).map((t) => t.doneAt)).toEqual([null, null]);

    await server.restart();
    await until(() => app.connection.isOnline() && app.roster.isAvailable(), 15_000, "reconnection and privileges");
    app.rosterTasks.start();
    await rosterStepsDone(app, `benvolio@${server.domain}`);
    expect((await rosterOf(server, "romeo", "pw-oemor-1234567")).get(`benvolio@${server.domain}`)?.subscription).toBe("both");
    expect((await rosterOf(server, "benvolio", "pw-oilovneb-1234567")).get(`romeo@${server.domain}`)?.subscription).toBe("both");
    await app.stop();
  });

  it("the component stops before the subscription and Prosody restarts: the next start finishes it", async () => {
    const first = newApp();
    await first.start();
    await first.rosterTasks.stop();
    const { token } = first.invites.create({ type: "contact", inviter: `mercutio@${server.domain}`, allowRegistration: true });
    expect((await redeemAnonymously(server, token, "tybalt", "pw-tlabyt-1234567")).ok).toBe(true);
    await first.stop();
    await server.restart();

    const second = newApp();
    await second.start();
    await rosterStepsDone(second, `tybalt@${server.domain}`, 15_000);
    expect((await rosterOf(server, "mercutio", "pw-oitucrem-1234567")).get(`tybalt@${server.domain}`)?.subscription).toBe("both");
    expect((await rosterOf(server, "tybalt", "pw-tlabyt-1234567")).get(`mercutio@${server.domain}`)?.subscription).toBe("both");
  });
});
