// Several instances connected to one real ejabberd at once, on one PostgreSQL, with the
// `domain_balancing` block of docs/operations.md ("Several instances"), rendered by the harness.
// Two instances (adapter xep0133: the component's own commands, whose replies ejabberd may hand to
// the other instance): every door on every instance, one token raced through all of them, a
// PostgreSQL restart under load. Three instances (adapter ejabberd-api): kill -9 of one under load
// and its restart, as systemd's Restart=on-failure does. Audited from outside: ejabberd's
// registered_users and the database's rows.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DomainBalancing, type EjabberdServer, domainBalancingYaml, startEjabberd } from "../../tools/demo/ejabberd.js";
import { type PostgresServer, startPostgres } from "../../tools/demo/postgres.js";
import { type Timed, drive as driveLoad, liveUrls, resumedAfter, retryFailed } from "./load.js";
import {
  type Attempt, type AuditFigures, type ComponentProcess, type Outcome, type RawClient,
  auditRows, plan, rawClient, registerOverApi, registerOverWebForm, registerOverXmpp, startComponent, tally, until,
} from "./support.js";

const PASSWORD = "instances-pw-1234";
const BALANCING = (componentNumber: number): DomainBalancing => ({ type: "source", componentNumber });

let database: PostgresServer;
let db: pg.Pool;

beforeAll(async () => {
  database = await startPostgres();
  db = new pg.Pool({ connectionString: database.url, max: 2 });
  db.on("error", () => undefined);
}, 60_000);

afterAll(async () => {
  await db?.end();
  await database?.stop();
});

/** One ejabberd with `count` connection slots and its instances. */
interface Cluster {
  server: EjabberdServer;
  configPath: string;
  instances: ComponentProcess[];
}

async function startCluster(count: number, adapter: "xep0133" | "ejabberd-api", type: DomainBalancing["type"] = "source"): Promise<Cluster> {
  const server = await startEjabberd({ domainBalancing: { type, componentNumber: count } });
  const configPath = join(server.dir, "config.json");
  writeFileSync(configPath, JSON.stringify({
    domain: server.domain,
    component: { service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret },
    database: database.url,
    http: { listen: "127.0.0.1:0", rate_limit: { max: 100_000, window: 60 } },
    password_policy: { min_length: 8 },
    adapter: adapter === "xep0133" ? { type: "xep0133", timeout: 5 } : { type: "ejabberd-api", url: server.apiUrl(), timeout: 5 },
    log_level: "info",
  }));
  const instances = await Promise.all(Array.from({ length: count }, () => startComponent(configPath)));
  return { server, configPath, instances };
}

async function stopCluster(cluster: Cluster | undefined): Promise<void> {
  if (!cluster) return;
  for (const instance of cluster.instances) await instance.kill("SIGTERM");
  await cluster.server.stop();
}

async function createInvites(configPath: string, count: number): Promise<Array<{ id: string; token: string }>> {
  const { openInvites } = await import("../../src/app.js");
  const { loadConfig } = await import("../../src/config/load.js");
  const { stores, invites } = await openInvites(loadConfig(configPath));
  try {
    return (await invites.createMany(count)).map(({ invite, token }) => ({ id: invite.id, token }));
  } finally {
    await stores.close();
  }
}

async function accountsOn(server: EjabberdServer): Promise<Set<string>> {
  const response = await fetch(`${server.apiUrl()}/registered_users`, { method: "POST", body: JSON.stringify({ host: server.domain }) });
  return new Set(await response.json() as string[]);
}

async function openClaims(): Promise<number> {
  try {
    return Number((await db.query<{ n: string }>("SELECT count(*) AS n FROM claims")).rows[0]?.n ?? -1);
  } catch {
    return -1;
  }
}

async function audit(server: EjabberdServer, attempts: readonly Attempt[]): Promise<AuditFigures> {
  const [invites, redemptions, claims] = await Promise.all([
    db.query<{ id: string; uses: number; pending: number; max_uses: number }>("SELECT id, uses, pending, max_uses FROM invites"),
    db.query<{ invite_id: string | null; jid: string }>("SELECT invite_id, jid FROM redemptions"),
    db.query<{ invite_id: string; username: string | null }>("SELECT invite_id, username FROM claims"),
  ]);
  return auditRows(await accountsOn(server), { invites: invites.rows, redemptions: redemptions.rows, claims: claims.rows }, attempts);
}

/** XMPP-door registrations each instance served, from its log. */
const servedOverXmpp = (instance: ComponentProcess) =>
  instance.lines.filter((line) => line["msg"] === "account registered" && line["door"] === "xmpp").length;

/** Registrations each instance served over XMPP, once all `registered` are in the logs: a log line
 *  is written before the reply, but read from the pipe it may arrive after it. */
async function servedOnceLogged(instances: ComponentProcess[], registered: number): Promise<number[]> {
  await until(() => instances.reduce((n, instance) => n + servedOverXmpp(instance), 0) >= registered, 10_000, "every registration's log line");
  return instances.map(servedOverXmpp);
}

/** The load of a fault run: `perDoor` HTTP clients per web door, the XMPP door from `clients`. */
function drive(cluster: Cluster, attempts: Timed[], clients: RawClient[], perDoor: number): Promise<void> {
  return driveLoad(attempts, {
    clients, perDoor, live: liveUrls(cluster.instances), password: PASSWORD,
    xmpp: (client, attempt) => registerOverXmpp(client, cluster.server.componentDomain, attempt.token, attempt.username, PASSWORD, 3000),
  });
}

const DOORS: Array<Attempt["door"]> = ["xmpp", "api", "web", "xmpp"];

/** The figures of a fault run, printed for the record. */
async function figures(cluster: Cluster, attempts: Timed[], prefix: string) {
  try {
    await until(async () => (await openClaims()) === 0, 60_000, "every open claim to be settled");
  } catch (error) {
    // Say what was left and what each instance last did, so a failure can be read from CI's log.
    const claims = await db.query("SELECT * FROM claims").then((r) => r.rows, () => []);
    const reports = cluster.instances.map((instance, i) => `instance ${i}: ${instance.exitReport() ?? `running; ${instance.lines.slice(-8).map((l) => JSON.stringify(l)).join("\n")}`}`);
    throw new Error(`${(error as Error).message}\nclaims: ${JSON.stringify(claims)}\n${reports.join("\n")}`);
  }
  const settled = await audit(cluster.server, attempts);
  const retries = await retryFailed(await accountsOn(cluster.server), attempts, prefix, liveUrls(cluster.instances), PASSWORD);
  const after = await audit(cluster.server, [...attempts, ...retries]);
  return { settled, retries, after };
}

it("docs/operations.md shows the domain_balancing block the tests run with", () => {
  const docs = readFileSync("docs/operations.md", "utf8");
  expect(docs).toContain(domainBalancingYaml("invites.example.org", BALANCING(2)));
});

describe("two instances connected to ejabberd at once (domain_balancing by source), adapter xep0133", () => {
  let cluster: Cluster | undefined;
  const ready = () => {
    if (!cluster) throw new Error("no cluster");
    return cluster;
  };
  beforeAll(async () => {
    cluster = await startCluster(2, "xep0133");
  }, 90_000);
  afterAll(() => stopCluster(cluster), 60_000);

  it("both connect; every door on every instance registers, and the adapter's commands are answered whichever instance ejabberd hands the reply to", async () => {
    const { server, configPath, instances } = ready();
    const health = await Promise.all(instances.map(async (instance) => (await fetch(`${instance.httpUrl}/healthz`)).json() as Promise<{ component: string }>));
    expect(health.map((h) => h.component)).toEqual(["connected", "connected"]);

    const invites = await createInvites(configPath, 28);
    const attempts: Timed[] = [];
    // The web form and the API of each instance: each one's XEP-0133 calls, whose replies come
    // from the server's JID and so reach one connection (the other's are relayed).
    for (const [i, instance] of instances.entries()) {
      for (const door of ["api", "web"] as const) {
        const invite = invites.pop();
        if (!invite) throw new Error("no invite");
        const attempt: Timed = { token: invite.token, inviteId: invite.id, username: `d${i}${door}`, door };
        attempt.outcome = door === "api" ? await registerOverApi(instance.httpUrl, invite.token, attempt.username, PASSWORD) : await registerOverWebForm(instance.httpUrl, invite.token, attempt.username, PASSWORD);
        attempts.push(attempt);
      }
    }
    // The XMPP door: clients whose JIDs ejabberd spreads over both connections, four at a time
    // until each instance has served some (the hash of a few random JIDs may favour one slot).
    const xmppServed = async () => servedOnceLogged(instances, attempts.filter((a) => a.door === "xmpp" && a.outcome?.ok).length);
    for (let batch = 0; batch < 6 && (batch < 2 || (await xmppServed()).some((n) => n === 0)); batch++) {
      attempts.push(...await Promise.all([0, 1, 2, 3].map(async (i) => {
        const client = await rawClient(server);
        const invite = invites.pop();
        if (!invite) throw new Error("no invite");
        const attempt: Timed = { token: invite.token, inviteId: invite.id, username: `dx${batch}${i}`, door: "xmpp" };
        attempt.outcome = await registerOverXmpp(client, server.componentDomain, invite.token, attempt.username, PASSWORD, 10_000);
        client.close();
        return attempt;
      })));
    }
    // Each says what ejabberd's balancing must be, once a reply has crossed instances (the
    // adapter's calls above: the server's replies all reach one connection).
    for (const instance of instances) expect(instance.lines.some((line) => /spreads its stanzas over them .* component_number must equal the number of instances/.test(String(line["msg"])))).toBe(true);
    // And the start log, once the server has named itself (a database others may share, ejabberd).
    // An instance that connected before the other may lose its probe's reply to the other's slot,
    // not yet taken: it asks again a second after the first went unanswered.
    const warned = (instance: ComponentProcess) => instance.lines.some((line) => line["feature"] === "server" && line["level"] === 40 && /domain_balancing for .* needs component_number equal to the number of instances/.test(String(line["msg"])));
    await until(() => instances.every(warned), 15_000, "each instance's start log to say what domain_balancing needs");
    const served = await xmppServed();
    console.log("two instances, every door:", JSON.stringify({ outcomes: tally(attempts), xmppServedPerInstance: served }));
    expect(attempts.filter((a) => !a.outcome?.ok).map((a) => `${a.username} ${JSON.stringify(a.outcome)}`)).toEqual([]);
    expect(served.every((n) => n > 0)).toBe(true);
    const result = await audit(server, attempts);
    expect(result.violations).toEqual([]);
    expect(result.accounts).toBe(attempts.length);
  }, 60_000);

  it("one token raced through every door of every instance makes exactly one account", async () => {
    const { server, configPath, instances } = ready();
    const [invite] = await createInvites(configPath, 1);
    if (!invite) throw new Error("no invite");
    const clients = await Promise.all(Array.from({ length: 4 }, () => rawClient(server)));
    const racers: Timed[] = [
      ...clients.map((_, i): Timed => ({ token: invite.token, inviteId: invite.id, username: `rx${i}`, door: "xmpp" })),
      ...instances.flatMap((_, i): Timed[] => [
        { token: invite.token, inviteId: invite.id, username: `ra${i}`, door: "api" },
        { token: invite.token, inviteId: invite.id, username: `rw${i}`, door: "web" },
      ]),
    ];
    let xmpp = 0;
    await Promise.all(racers.map(async (racer) => {
      const instance = instances[Number(racer.username.slice(2))] ?? instances[0];
      const client = racer.door === "xmpp" ? clients[xmpp++] : undefined;
      racer.outcome = client
        ? await registerOverXmpp(client, server.componentDomain, invite.token, racer.username, PASSWORD, 10_000)
        : racer.door === "api" ? await registerOverApi(instance?.httpUrl ?? "", invite.token, racer.username, PASSWORD) : await registerOverWebForm(instance?.httpUrl ?? "", invite.token, racer.username, PASSWORD);
    }));
    for (const client of clients) client.close();
    const result = await audit(server, racers);
    console.log("one token through every door:", JSON.stringify({ racers: racers.length, outcomes: tally(racers), accounts: result.accounts, recordedUses: result.recordedUses, openClaims: result.openClaims }));
    expect(result.accounts).toBe(1);
    expect(result.recordedUses).toBe(1);
    expect(racers.filter((r) => r.outcome?.ok)).toHaveLength(1);
    expect(result.violations).toEqual([]);
  }, 60_000);

  it("the registration rate limit is one limit across instances: 12 attempts from one address through two instances, 6 allowed", async () => {
    const { server, configPath } = ready();
    // Two more instances with a limit of 6 a minute (beyond component_number: they serve HTTP only).
    const limitedPath = join(server.dir, "limited.json");
    const config = JSON.parse(readFileSync(configPath, "utf8")) as Record<string, unknown>;
    // Behind a proxy: one client address of its own, counted apart from the other tests' hits.
    writeFileSync(limitedPath, JSON.stringify({ ...config, http: { listen: "127.0.0.1:0", rate_limit: { max: 6, window: 60 }, trust_proxy: true } }));
    const limited = await Promise.all([startComponent(limitedPath), startComponent(limitedPath)]);
    try {
      const invites = await createInvites(configPath, 12);
      const outcomes: Outcome[] = [];
      for (const [i, invite] of invites.entries()) {
        const base = limited[i % 2]?.httpUrl ?? "";
        outcomes.push(await registerFrom("203.0.113.9", base, i % 4 < 2 ? "api" : "web", invite.token, `rl${i}`));
      }
      console.log("rate limit across two instances:", JSON.stringify(tally(outcomes.map((outcome, i) => ({ token: "", inviteId: "", username: `rl${i}`, door: "api", outcome })))));
      expect(outcomes.filter((o) => o.ok)).toHaveLength(6);
      expect(outcomes.slice(6).every((o) => !o.ok && o.status === "429")).toBe(true);
    } finally {
      await Promise.all(limited.map((instance) => instance.kill("SIGTERM")));
    }
  }, 60_000);

  it("PostgreSQL restarted under load: retryable errors while it is down, both instances carry on, nothing lost or doubled", async () => {
    const cluster = ready();
    const attempts: Timed[] = plan("p", await createInvites(cluster.configPath, 60), DOORS);
    const clients = await Promise.all(Array.from({ length: 4 }, () => rawClient(cluster.server)));
    const load = drive(cluster, attempts, clients, 3);
    await until(() => attempts.filter((a) => a.outcome?.ok).length >= 10, 60_000, "10 registrations");
    await database.stopProcess();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const startedAt = Date.now();
    await database.startProcess();
    await load;
    for (const client of clients) client.close();
    const { settled, retries, after } = await figures(cluster, attempts, "pr");
    const resumed = resumedAfter(attempts, startedAt);
    console.log("PostgreSQL restart, two instances on ejabberd:", JSON.stringify({
      attempts: attempts.length, outcomes: tally(attempts), waits: attempts.reduce((n, a) => n + (a.waits?.length ?? 0), 0), resumedAfterRestartSeconds: resumed,
      audit: { accounts: settled.accounts, recordedUses: settled.recordedUses, reportedSuccess: settled.reportedSuccess, openClaims: settled.openClaims, violations: settled.violations.length },
      retriedTokens: retries.length, retriesOk: retries.filter((r) => r.outcome?.ok).length, afterRetries: { accounts: after.accounts, openClaims: after.openClaims, violations: after.violations.length },
    }));
    expect(settled.violations).toEqual([]);
    expect(after.violations).toEqual([]);
    expect(retries.every((r) => r.outcome?.ok)).toBe(true);
    expect(resumed["web"]).not.toBeNull();
    expect(resumed["xmpp"]).not.toBeNull();
    expect(cluster.instances.map((instance) => instance.exitReport())).toEqual(cluster.instances.map(() => undefined));
  }, 120_000);
});

describe("two instances behind ejabberd's random balancing: a preauth and its register reach either instance", () => {
  let cluster: Cluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster(2, "ejabberd-api", "random");
  }, 90_000);
  afterAll(() => stopCluster(cluster), 60_000);

  it("XEP-0401 §5.5 then XEP-0077 in two IQs from 10 clients: each register finds the token its preauth left, whichever instance got it", async () => {
    if (!cluster) throw new Error("no cluster");
    const { server, configPath } = cluster;
    const instances = cluster.instances;
    const outcomes: string[] = [];
    // Random balancing may, rarely, send a whole batch to one instance (2 in 1024 for 10): further
    // batches make "both instances served a register" certain without weakening it.
    for (let batch = 0; batch < 4 && (batch === 0 || (await servedOnceLogged(instances, outcomes.filter((o) => o === "result").length)).some((n) => n === 0)); batch++) {
      const invites = await createInvites(configPath, 10);
      const clients = await Promise.all(invites.map(() => rawClient(server)));
      outcomes.push(...await Promise.all(clients.map(async (client, i) => {
        const invite = invites[i];
        if (!invite) throw new Error("no invite");
        const preauth = client.reply(`pre${i}`, 10_000);
        client.send(`<iq type='set' id='pre${i}' to='${server.componentDomain}'><preauth xmlns='urn:xmpp:pars:0' token='${invite.token}'/></iq>`);
        if ((await preauth)?.attrs.type !== "result") return "preauth refused";
        const register = client.reply(`reg${i}`, 10_000);
        client.send(`<iq type='set' id='reg${i}' to='${server.componentDomain}'><query xmlns='jabber:iq:register'><username>two${batch}x${i}</username><password>${PASSWORD}</password></query></iq>`);
        return (await register)?.attrs.type ?? "no answer";
      })));
      for (const client of clients) client.close();
    }
    const served = await servedOnceLogged(instances, outcomes.filter((o) => o === "result").length);
    console.log("two-step registrations behind random balancing:", JSON.stringify({ outcomes, registersServedPerInstance: served }));
    expect(outcomes).toEqual(outcomes.map(() => "result"));
    expect(outcomes.length).toBeGreaterThanOrEqual(10);
    expect(served.every((n) => n > 0)).toBe(true);
  }, 120_000);
});

describe("three instances connected to ejabberd at once, adapter ejabberd-api", () => {
  let cluster: Cluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster(3, "ejabberd-api");
  }, 90_000);
  afterAll(() => stopCluster(cluster), 60_000);

  it("kill -9 of one instance under load, restarted as systemd does: the others carry on at once, the killed one's clients once it is back; nothing lost, doubled or unrecorded", async () => {
    if (!cluster) throw new Error("no cluster");
    const current = cluster;
    const attempts: Timed[] = plan("k", await createInvites(current.configPath, 90), DOORS);
    const clients = await Promise.all(Array.from({ length: 6 }, () => rawClient(current.server)));
    const probes = await Promise.all(Array.from({ length: 12 }, () => rawClient(current.server)));
    const load = drive(current, attempts, clients, 3);
    await until(() => attempts.filter((a) => a.outcome?.ok).length >= 15, 60_000, "15 registrations");
    const victim = current.instances[1];
    if (!victim) throw new Error("no victim");
    const remaining = attempts.filter((a) => a.outcome === undefined).length;
    const killedAt = Date.now();
    await victim.kill("SIGKILL");
    // Each probe client asks the component until it answers: ejabberd drops what it routes to the
    // dead connection's slot, so the clients whose JID hashes there wait for the restart.
    const answered = probes.map((probe) => answeredAt(probe, current.server.componentDomain));
    // Restart=on-failure with RestartSec=1 (docs/operations.md): the new process takes the free slot.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    current.instances[1] = await startComponent(current.configPath);
    const restartedAt = Date.now();
    const probeTimes = (await Promise.all(answered)).map((at) => Number(((at - killedAt) / 1000).toFixed(2)));
    await load;
    for (const client of [...clients, ...probes]) client.close();
    const { settled, retries, after } = await figures(current, attempts, "kr");
    const resumed = resumedAfter(attempts, killedAt);
    const waitedForRestart = probeTimes.filter((t) => t * 1000 >= restartedAt - killedAt).length;
    console.log("kill -9 of one of three instances on ejabberd:", JSON.stringify({
      attempts: attempts.length, remainingAtKill: remaining, outcomes: tally(attempts), resumedAfterSeconds: resumed,
      restartedAfterSeconds: (restartedAt - killedAt) / 1000, probeClientsAnsweredAfterSeconds: probeTimes, probeClientsThatWaitedForTheRestart: waitedForRestart,
      audit: { accounts: settled.accounts, recordedUses: settled.recordedUses, reportedSuccess: settled.reportedSuccess, openClaims: settled.openClaims, violations: settled.violations.length },
      retriedTokens: retries.length, retriesOk: retries.filter((r) => r.outcome?.ok).length, afterRetries: { accounts: after.accounts, openClaims: after.openClaims, violations: after.violations.length },
    }));
    expect(remaining).toBeGreaterThan(20);
    expect(resumed["web"] ?? 99).toBeLessThan(5);
    // Every client is answered again within a few seconds of the kill: at once where its slot
    // lived on, after the restart where it died.
    expect(Math.max(...probeTimes)).toBeLessThan(10);
    expect(probeTimes.filter((t) => t < 1).length).toBeGreaterThan(0);
    expect(settled.violations).toEqual([]);
    expect(settled.openClaims).toBe(0);
    expect(after.violations).toEqual([]);
    expect(retries.every((r) => r.outcome?.ok)).toBe(true);
  }, 120_000);
});

/** When the component first answers a disco#info from this client (asked again every 500 ms). */
async function answeredAt(client: RawClient, component: string): Promise<number> {
  for (let i = 0; i < 60; i++) {
    const id = `probe-${i}`;
    const reply = client.reply(id, 500);
    client.send(`<iq type='get' id='${id}' to='${component}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`);
    if ((await reply)?.attrs.type === "result") return Date.now();
  }
  return Number.POSITIVE_INFINITY;
}

/** A registration at the API or the web form, as forwarded by a proxy for the client `address`. */
async function registerFrom(address: string, base: string, door: "api" | "web", token: string, username: string): Promise<Outcome> {
  const headers = { "x-forwarded-for": address };
  if (door === "api") {
    const response = await fetch(`${base}/api/v1/registrations`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify({ token, username, password: PASSWORD }) });
    return response.status === 201 ? { ok: true } : { ok: false, status: String(response.status), text: await response.text() };
  }
  const html = await (await fetch(`${base}/invite/${token}/register`, { headers })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
  const response = await fetch(`${base}/invite/${token}/register`, {
    method: "POST", headers: { ...headers, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf, username, password: PASSWORD, confirm: PASSWORD }).toString(),
  });
  return response.status === 200 ? { ok: true } : { ok: false, status: String(response.status), text: "" };
}
