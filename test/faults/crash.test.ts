// Fault injection on real processes: the component (its own OS process) killed with SIGKILL mid-load,
// the host Prosody restarted mid-load, and Prosody frozen with SIGSTOP past the adapter timeout.
// After each fault the audit checks from outside what the issue of one token, two accounts is about.
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ProsodyServer, startProsody } from "../../tools/demo/prosody.js";
import {
  type Attempt, type ComponentProcess, type MadeInvite, type RawClient, accountsOnServer, audit, createInvites as createOn, fire as fireAt,
  openClaims, plan, rawClient, registerOverApi, retryFailed as retryOn, startComponent, tally, until, writeComponentConfig,
} from "./support.js";

let server: ProsodyServer;
let configPath: string;
let databasePath: string;
let component: ComponentProcess | undefined;
const PASSWORD = "pw-fault-suite-1";
const ADAPTER_TIMEOUT_S = 2;

beforeAll(async () => {
  // With the bridge module, so the app path (the server's own registration) is under fault too.
  server = await startProsody({ bridge: true, vhostLines: ["xmpp_invites_timeout = 4"] });
  configPath = join(server.dir, "config.json");
  databasePath = join(server.dir, "state", "invites.sqlite");
  writeComponentConfig(server, configPath, databasePath, { adapter: { type: "xep0133", timeout: ADAPTER_TIMEOUT_S }, bridge: "prosody" });
});

afterEach(async () => {
  await component?.kill("SIGTERM");
  component = undefined;
});

afterAll(async () => {
  await server?.stop();
});

const createInvites = (count: number, uses = 1): Promise<MadeInvite[]> => createOn(server, databasePath, count, uses);
const fire = (attempts: Attempt[], clients: RawClient[], httpUrl: string, replyMs: number) => fireAt(attempts, { server, clients, httpUrl, password: PASSWORD, replyMs });
const retryFailed = (attempts: Attempt[], httpUrl: string, prefix: string) => retryOn(accountsOnServer(server), attempts, httpUrl, prefix, PASSWORD);

const started = Date.now();
const phase = (what: string) => console.log(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);

describe("faults on real processes (component as its own process, real Prosody)", () => {
  it("kill -9 with registrations in flight at the XMPP door, the web door, the API and the app path, then restart: nothing lost, nothing doubled", async () => {
    const single = await createInvites(72);
    const shared = await createInvites(1, 4); // 8 attempts race for 4 uses
    const attempts = [...plan("k", single, ["xmpp", "api", "app", "web"]), ...plan("ks", shared, ["xmpp", "api", "app", "web"], 8)];
    component = await startComponent(configPath);
    const clients = await Promise.all(Array.from({ length: 8 }, () => rawClient(server)));

    const registered = () => component?.lines.filter((line) => line["msg"] === "account registered").length ?? 0;
    const load = fire(attempts, clients, component.httpUrl, 5000);
    await until(() => registered() >= 1, 20_000, "the first registration");
    const inFlight = attempts.filter((attempt) => attempt.outcome === undefined).length;
    await component.kill("SIGKILL");
    await load;
    for (const client of clients) client.close();
    const before = audit(server, databasePath, attempts);

    component = await startComponent(configPath);
    await until(() => openClaims(databasePath) === 0, 20_000, "settlement of every open claim");
    const settled = component.lines.filter((line) => /^open claim settled/.test(String(line["msg"])));
    const retries = await retryFailed(attempts, component.httpUrl, "kr");
    const after = audit(server, databasePath, [...attempts, ...retries]);
    console.log("kill -9:", JSON.stringify({
      attempts: attempts.length, inFlightAtKill: inFlight, outcomes: tally(attempts),
      beforeRestart: { accounts: before.accounts, recordedUses: before.recordedUses, openClaims: before.openClaims },
      settled: { recorded: settled.filter((l) => /recorded/.test(String(l["msg"]))).length, released: settled.filter((l) => /given back/.test(String(l["msg"]))).length },
      retriedTokens: retries.length, retriesOk: retries.filter((r) => r.outcome?.ok).length,
      after: { accounts: after.accounts, recordedUses: after.recordedUses, openClaims: after.openClaims, violations: after.violations.length },
    }));
    expect(inFlight).toBeGreaterThanOrEqual(50);
    expect(after.violations).toEqual([]);
    expect(after.openClaims).toBe(0);
    // Every single-use token whose account was never made works again once its claim is settled.
    expect(retries.filter((retry) => retry.inviteId !== shared[0]?.id).every((retry) => retry.outcome?.ok)).toBe(true);
  }, 90_000);

  it("the host server restarts mid-load: every web request is answered, the component reconnects, failed tokens work again", async () => {
    component = await startComponent(configPath);
    const invites = await createInvites(60);
    const attempts = plan("h", invites, ["api", "xmpp", "web", "api"]);
    const clients = await Promise.all(Array.from({ length: 4 }, () => rawClient(server)));
    const registered = () => component?.lines.filter((line) => line["msg"] === "account registered").length ?? 0;
    const load = fire(attempts, clients, component.httpUrl, 15_000);
    await until(() => registered() >= 1, 20_000, "the first registration");
    const inFlight = attempts.filter((attempt) => attempt.outcome === undefined).length;
    phase("restarting Prosody");
    await server.restart();
    phase("Prosody restarted");
    await load;
    phase("every request answered");
    for (const client of clients) client.close();
    await component.waitForLine((line) => line["msg"] === "reconnected to the XMPP server", 30_000, "the component's reconnection");
    phase("component reconnected");
    await until(() => openClaims(databasePath) === 0, 30_000, "settlement after the restart");
    phase("claims settled");
    const retries = await retryFailed(attempts, component.httpUrl, "hr");
    const figures = audit(server, databasePath, [...attempts, ...retries]);
    console.log("host restart:", JSON.stringify({
      attempts: attempts.length, inFlightAtRestart: inFlight, outcomes: tally(attempts), retriedTokens: retries.length, retriesOk: retries.filter((r) => r.outcome?.ok).length,
      accounts: figures.accounts, recordedUses: figures.recordedUses, openClaims: figures.openClaims, violations: figures.violations.length,
    }));
    // The web door always answers: success, or an error that says what to do (never a dropped request or a 500).
    for (const attempt of attempts.filter((a) => a.door !== "xmpp")) {
      expect(attempt.outcome?.ok || ["503", "502", "409", "404"].includes(attempt.outcome?.status ?? ""), JSON.stringify(attempt.outcome)).toBe(true);
    }
    expect(inFlight).toBeGreaterThan(0);
    expect(figures.violations).toEqual([]);
    expect(retries.every((retry) => retry.outcome?.ok)).toBe(true);
    expect(component.exitReport()).toBeUndefined();
  }, 90_000);

  it("the server frozen (SIGSTOP) past the adapter timeout: wait/503 at every door, the claim kept and settled once it answers", async () => {
    component = await startComponent(configPath);
    const invites = await createInvites(12);
    const xmppAttempts = plan("fx", invites.slice(0, 4), ["xmpp"]);
    const httpAttempts = plan("fh", invites.slice(4), ["api", "web"]);
    const clients = await Promise.all(Array.from({ length: 2 }, () => rawClient(server)));
    const pid = server.pid();
    if (pid === undefined) throw new Error("Prosody is not running");

    const xmppLoad = fire(xmppAttempts, clients, component.httpUrl, 30_000);
    await new Promise((resolveWait) => setTimeout(resolveWait, 30)); // let the IQs reach the component
    process.kill(pid, "SIGSTOP");
    let resumed = false;
    let answeredWhileFrozen = 0;
    try {
      await Promise.all(httpAttempts.map(async (attempt) => {
        await fire([attempt], clients, component?.httpUrl ?? "", 1);
        if (!resumed) answeredWhileFrozen += 1;
      }));
      // Frozen a while longer than the timeout, so queued work runs late, as in the field.
      await new Promise((resolveWait) => setTimeout(resolveWait, ADAPTER_TIMEOUT_S * 1000));
    } finally {
      resumed = true;
      process.kill(pid, "SIGCONT");
    }
    phase("resumed");
    await xmppLoad;
    phase("XMPP answers in");
    for (const client of clients) client.close();
    await until(() => openClaims(databasePath) === 0, 40_000, "settlement once the server answers again");
    phase("claims settled");

    // The same single-use tokens once more, with new names: a token whose account was made late is spent.
    const again: Attempt[] = [...xmppAttempts, ...httpAttempts].map((attempt) => ({ ...attempt, username: `${attempt.username}again`, door: "api" as const, outcome: undefined }));
    for (const attempt of again) attempt.outcome = await registerOverApi(component.httpUrl, attempt.token, attempt.username, PASSWORD);
    const figures = audit(server, databasePath, [...xmppAttempts, ...httpAttempts, ...again]);
    console.log("SIGSTOP:", JSON.stringify({
      xmpp: tally(xmppAttempts), http: tally(httpAttempts), answeredWhileFrozen, secondTries: tally(again),
      accounts: figures.accounts, recordedUses: figures.recordedUses, openClaims: figures.openClaims, violations: figures.violations.length,
    }));
    // Every web request was answered while the server was still frozen, with wait/503.
    expect(answeredWhileFrozen).toBe(httpAttempts.length);
    for (const attempt of httpAttempts) expect(attempt.outcome).toMatchObject({ ok: false, status: "503" });
    expect(httpAttempts.some((attempt) => /did not answer in time/.test(attempt.outcome && !attempt.outcome.ok ? attempt.outcome.text : ""))).toBe(true);
    // The XMPP door: an answer for each (late, as its own server was frozen), success or wait.
    for (const attempt of xmppAttempts) expect(attempt.outcome?.ok || attempt.outcome?.status === "wait/remote-server-timeout", JSON.stringify(attempt.outcome)).toBe(true);
    expect(figures.violations).toEqual([]);
    // The frozen server did the work late: those invites are spent, not given out twice.
    const made = accountsOnServer(server);
    for (const attempt of again) {
      const first = [...xmppAttempts, ...httpAttempts].find((a) => a.token === attempt.token);
      if (first && made.has(first.username)) expect(attempt.outcome).toMatchObject({ ok: false, status: "404" });
    }
  }, 90_000);
});
