// Several instances on one PostgreSQL, with a real Prosody: three component processes share a
// throwaway PostgreSQL cluster; Prosody takes one component connection (the others stand by), and
// every instance serves the web door and the API (adapter xep0133-account: each has its own admin
// session). Faults: SIGKILL of the active instance under load at both doors, then a PostgreSQL
// restart under load. Audited from outside: Prosody's account files and the database's rows.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostgresServer, startPostgres } from "../../tools/demo/postgres.js";
import { type ProsodyServer, ensureProsodyInstalled, startProsody } from "../../tools/demo/prosody.js";
import { type Timed, drive as driveLoad, liveUrls, resumedAfter, retryFailed as retryOn } from "./load.js";
import {
  type Attempt, type AuditFigures, type ComponentProcess, type Outcome, type RawClient,
  accountsOnServer, auditRows, plan, rawClient, registerOverXmpp, startComponent, tally, until,
} from "./support.js";

const PASSWORD = "instances-pw-1234";
const ADMIN = { username: "admin", password: "admin-pw-1234567" };

let server: ProsodyServer;
let database: PostgresServer;
let db: pg.Pool;
let configPath: string;
const instances: ComponentProcess[] = [];

beforeAll(async () => {
  await ensureProsodyInstalled();
  [server, database] = await Promise.all([startProsody(), startPostgres()]);
  await server.registerUser(ADMIN.username, ADMIN.password);
  db = new pg.Pool({ connectionString: database.url, max: 2 });
  db.on("error", () => undefined);
  configPath = join(server.dir, "config.json");
  writeFileSync(configPath, JSON.stringify({
    domain: server.domain,
    component: { service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret },
    database: database.url,
    http: { listen: "127.0.0.1:0", rate_limit: { max: 100_000, window: 60 } },
    password_policy: { min_length: 8 },
    adapter: { type: "xep0133-account", jid: `${ADMIN.username}@${server.domain}`, password: ADMIN.password, service: server.c2sService(), timeout: 5 },
    log_level: "info",
  }));
}, 60_000);

afterAll(async () => {
  for (const instance of instances) await instance.kill("SIGTERM");
  await db?.end();
  await Promise.all([server?.stop(), database?.stop()]);
});

async function createInvites(count: number): Promise<Array<{ id: string; token: string }>> {
  const { openInvites } = await import("../../src/app.js");
  const { loadConfig } = await import("../../src/config/load.js");
  const { stores, invites } = await openInvites(loadConfig(configPath));
  try {
    const made = await invites.createMany(count);
    return made.map(({ invite, token }) => ({ id: invite.id, token }));
  } finally {
    await stores.close();
  }
}

/** Which instance holds the component connection, from its log. */
function active(): ComponentProcess | undefined {
  return instances.find((instance) => instance.isRunning() && lastConnectionLine(instance) === "online");
}

function lastConnectionLine(instance: ComponentProcess): "online" | "standby" | undefined {
  for (let i = instance.lines.length - 1; i >= 0; i--) {
    const msg = String(instance.lines[i]?.["msg"]);
    if (/connected to the XMPP server|took over the component connection/.test(msg)) return "online";
    if (/standing by/.test(msg)) return "standby";
  }
  return undefined;
}

async function dbRows() {
  const [invites, redemptions, claims] = await Promise.all([
    db.query<{ id: string; uses: number; pending: number; max_uses: number }>("SELECT id, uses, pending, max_uses FROM invites"),
    db.query<{ invite_id: string | null; jid: string }>("SELECT invite_id, jid FROM redemptions"),
    db.query<{ invite_id: string; username: string | null }>("SELECT invite_id, username FROM claims"),
  ]);
  return { invites: invites.rows, redemptions: redemptions.rows, claims: claims.rows };
}

async function openClaims(): Promise<number> {
  try {
    return Number((await db.query<{ n: string }>("SELECT count(*) AS n FROM claims")).rows[0]?.n ?? -1);
  } catch {
    return -1;
  }
}

/**
 * The XMPP door: while no instance holds the component connection Prosody bounces the IQ (wait),
 * and the client asks again; a request lost with the killed instance goes unanswered, and the
 * client gives up on it after 3 s, as a client's own timeout would.
 */
async function overXmpp(client: RawClient, attempt: Timed): Promise<Outcome> {
  const deadline = Date.now() + 20_000;
  for (let tries = 0; ; tries++) {
    const outcome = await registerOverXmpp(client, server.componentDomain, attempt.token, attempt.username, PASSWORD, 3000);
    const bounced = !outcome.ok && outcome.status === "wait/remote-server-timeout" && /Component unavailable/.test(outcome.text);
    if (!bounced || Date.now() > deadline) return outcome;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Runs every attempt, `perDoor` at a time at each door, against the instances running at each moment. */
function drive(attempts: Timed[], clients: RawClient[], perDoor: number): Promise<void> {
  return driveLoad(attempts, { clients, perDoor, live: liveUrls(instances), password: PASSWORD, xmpp: overXmpp });
}

const DOORS: Array<Attempt["door"]> = ["xmpp", "api", "web", "api", "xmpp", "web"];

/** Tokens whose attempt made no account work again (through any instance's API). */
const retryFailed = (attempts: readonly Timed[], prefix: string) => retryOn(accountsOnServer(server), attempts, prefix, liveUrls(instances), PASSWORD);

async function settledAudit(attempts: readonly Timed[]): Promise<AuditFigures> {
  await until(async () => (await openClaims()) === 0, 60_000, "every open claim to be settled");
  return auditRows(server, await dbRows(), attempts);
}

describe("three instances on one PostgreSQL with a real Prosody", () => {
  it("SIGKILL of the active instance under load at both doors: the others carry on within 5 s; nothing lost, nothing doubled, no claim left", async () => {
    for (let i = 0; i < 3; i++) instances.push(await startComponent(configPath));
    expect(instances.map(lastConnectionLine)).toEqual(["online", "standby", "standby"]);
    const health = await Promise.all(instances.map(async (instance) => (await fetch(`${instance.httpUrl}/healthz`)).json() as Promise<{ status: string; component: string }>));
    // Every instance serves the web door; one holds the component connection.
    expect(health.map((h) => `${h.status}/${h.component}`)).toEqual(["ok/connected", "ok/standby", "ok/standby"]);

    const attempts: Timed[] = plan("k", await createInvites(120), DOORS);
    const clients = await Promise.all(Array.from({ length: 4 }, () => rawClient(server)));
    const load = drive(attempts, clients, 4);
    await until(() => attempts.filter((a) => a.outcome?.ok).length >= 20, 60_000, "20 registrations");
    const victim = active();
    if (!victim) throw new Error("no active instance");
    const inFlight = attempts.filter((a) => a.outcome === undefined).length;
    const killedAt = Date.now();
    await victim.kill("SIGKILL");
    await load;
    for (const client of clients) client.close();
    const figures = await settledAudit(attempts);
    const retries = await retryFailed(attempts, "kr");
    const after = auditRows(server, await dbRows(), [...attempts, ...retries]);
    const resumed = resumedAfter(attempts, killedAt);
    const takeover = instances.find((instance) => instance !== victim && instance.lines.some((l) => /took over/.test(String(l["msg"]))));
    console.log("SIGKILL of the active instance:", JSON.stringify({
      attempts: attempts.length, remainingAtKill: inFlight, outcomes: tally(attempts), resumedAfterSeconds: resumed,
      tookOver: takeover ? instances.indexOf(takeover) : null,
      audit: { accounts: figures.accounts, recordedUses: figures.recordedUses, reportedSuccess: figures.reportedSuccess, openClaims: figures.openClaims, violations: figures.violations.length },
      retriedTokens: retries.length, retriesOk: retries.filter((r) => r.outcome?.ok).length, afterRetries: { openClaims: after.openClaims, violations: after.violations.length },
    }));
    expect(inFlight).toBeGreaterThan(20);
    expect(takeover).toBeDefined();
    expect(resumed["xmpp"]).not.toBeNull();
    expect(resumed["web"]).not.toBeNull();
    expect(resumed["xmpp"] ?? 99).toBeLessThan(5);
    expect(resumed["web"] ?? 99).toBeLessThan(5);
    expect(figures.violations).toEqual([]);
    expect(figures.openClaims).toBe(0);
    expect(after.violations).toEqual([]);
    expect(retries.every((r) => r.outcome?.ok)).toBe(true);
  }, 150_000);

  it("PostgreSQL restarted under load: clear retryable errors while it is down, nothing lost after", async () => {
    // Back to three: the killed one comes back as a standby.
    instances.splice(0, instances.length, ...instances.filter((instance) => instance.isRunning()));
    instances.push(await startComponent(configPath));
    const attempts: Timed[] = plan("p", await createInvites(120), DOORS);
    const clients = await Promise.all(Array.from({ length: 4 }, () => rawClient(server)));
    const load = drive(attempts, clients, 4);
    await until(() => attempts.filter((a) => a.outcome?.ok).length >= 20, 60_000, "20 registrations");
    const stoppedAt = Date.now();
    await database.stopProcess();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const startedAt = Date.now();
    await database.startProcess();
    await load;
    for (const client of clients) client.close();
    const figures = await settledAudit(attempts);
    const retries = await retryFailed(attempts, "pr");
    const after = auditRows(server, await dbRows(), [...attempts, ...retries]);
    const waits = attempts.flatMap((a) => (a.waits ?? []).map((w) => ({ ...w, door: a.door })));
    const waitCounts: Record<string, number> = {};
    for (const w of waits) waitCounts[`${w.door} ${w.status}`] = (waitCounts[`${w.door} ${w.status}`] ?? 0) + 1;
    console.log("PostgreSQL restart:", JSON.stringify({
      attempts: attempts.length, outcomes: tally(attempts), outageSeconds: (startedAt - stoppedAt) / 1000, waitsWhileDown: waitCounts, resumedAfterRestartSeconds: resumedAfter(attempts, startedAt),
      audit: { accounts: figures.accounts, recordedUses: figures.recordedUses, reportedSuccess: figures.reportedSuccess, openClaims: figures.openClaims, violations: figures.violations.length },
      retriedTokens: retries.length, retriesOk: retries.filter((r) => r.outcome?.ok).length, afterRetries: { openClaims: after.openClaims, violations: after.violations.length },
      instancesRunning: instances.filter((instance) => instance.isRunning()).length,
    }));
    // While the database was down the doors said "wait" (503 / wait stanza error), and a try
    // again afterwards succeeded: no internal error, no lost request.
    expect(waits.length).toBeGreaterThan(0);
    expect(waits.every((w) => w.at >= stoppedAt - 1000)).toBe(true);
    // A try again after the outage succeeds, or finds the token still reserved by a registration the
    // outage interrupted (then it works again once that claim is settled: the retries below).
    for (const attempt of attempts.filter((a) => !a.outcome?.ok)) {
      expect(["404", "cancel/forbidden", "disconnected", "no-answer"], JSON.stringify(attempt.outcome)).toContain(attempt.outcome && !attempt.outcome.ok ? attempt.outcome.status : "");
    }
    expect(tally(attempts)["success"] ?? 0).toBeGreaterThan(attempts.length / 2);
    expect(resumedAfter(attempts, startedAt)["web"]).not.toBeNull();
    expect(figures.violations).toEqual([]);
    expect(figures.openClaims).toBe(0);
    expect(after.violations).toEqual([]);
    expect(retries.every((r) => r.outcome?.ok)).toBe(true);
    expect(instances.map((instance) => instance.exitReport())).toEqual(instances.map(() => undefined));
  }, 150_000);
});
