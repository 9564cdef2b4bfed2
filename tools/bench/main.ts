// `npm run bench [-- --quick | --render]`: B1 registration (interleaved, on Prosody and ejabberd),
// B2 component overhead, B3 store at scale, B4 memory, in one run against real servers on loopback.
// Writes bench/results.json and BENCHMARKS.md (--quick: bench/results-quick.json, prints only).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildEjabberdModule } from "../../src/cli/ejabberd-module.js";
import { isEjabberdInstalled, startEjabberd } from "../demo/ejabberd.js";
import { freePort } from "../demo/ports.js";
import { ensureProsodyInstalled, startProsody } from "../demo/prosody.js";
import { type B1Plan, type B1Run, type B1Target, type PathName, registerer, runB1 } from "./b1.js";
import { benchStore } from "./b3-store.js";
import { importCosts } from "./import-cost.js";
import { iqRoundTrips, nativeTokens, startBareComponent, startComponentProcess, unitNodeOptions } from "./live.js";
import { type Results, renderReport } from "./report.js";
import { ms, rssMb, timedPool } from "./stats.js";

export interface Plan extends B1Plan {
  readonly quick: boolean;
  readonly runs: number;
  readonly roundTrips: number;
  readonly storeInvites: number;
  readonly storeSamples: number;
  /** B4: invites in the store before the component starts, then registrations through it. */
  readonly memoryInvites: number;
  readonly memoryRegistrations: number;
}

const QUICK: Plan = {
  quick: true, runs: 1, rounds: 6, concurrentRounds: 1, concurrency: 16, afterRounds: 1, idleMs: 300,
  roundTrips: 300, storeInvites: 100_000, storeSamples: 2000, memoryInvites: 100_000, memoryRegistrations: 200,
};
const FULL: Plan = {
  quick: false, runs: 3, rounds: 60, concurrentRounds: 6, concurrency: 16, afterRounds: 20, idleMs: 1000,
  roundTrips: 2000, storeInvites: 1_000_000, storeSamples: 10_000, memoryInvites: 1_000_000, memoryRegistrations: 10_000,
};

const say = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (millis: number) => new Promise((done) => setTimeout(done, millis));
const ADMIN = { username: "admin", password: "admin-password-0123" };
const INVITER = "inviter";

function packageVersion(name: string): string {
  try {
    return execFileSync("dpkg-query", ["-W", "-f=${Version}", name], { encoding: "utf8" }).trim() || "unknown";
  } catch {
    return "unknown";
  }
}

function summariseRun(label: string, run: B1Run): void {
  const native = run.one.native?.medianMs ?? Number.NaN;
  const nativeRate = run.concurrent.native?.perSecond ?? Number.NaN;
  const paths = Object.keys(run.one) as PathName[];
  say(`  ${label}: ${paths.map((path) => `${path} ${run.one[path]?.medianMs.toFixed(1)} ms (${(native / (run.one[path]?.medianMs ?? Number.NaN)).toFixed(2)}×)`).join(", ")}`);
  say(`  ${label} ×16: ${paths.map((path) => `${path} ${run.concurrent[path]?.perSecond.toFixed(0)}/s (${((run.concurrent[path]?.perSecond ?? Number.NaN) / nativeRate).toFixed(2)}×)`).join(", ")}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, render: { type: "boolean", default: false } }, strict: true });
  const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
  if (values.render) {
    // Re-renders BENCHMARKS.md from the last full run's raw figures.
    const report = renderReport(JSON.parse(readFileSync(join(root, "bench", "results.json"), "utf8")) as Results);
    writeFileSync(join(root, "BENCHMARKS.md"), report);
    process.stdout.write(report);
    return;
  }
  const plan = values.quick ? QUICK : FULL;
  const cli = join(root, "dist", "cli", "main.js");
  if (!isEjabberdInstalled()) throw new Error("ejabberd is not installed (apt-get install -y ejabberd): B1 measures it too");
  await ensureProsodyInstalled(say);
  const started = ms();
  const loadBefore = loadavg();

  const b1: Results["b1"] = [];
  const b2 = { inFlight: 16, ours: [] as number[], bare: [] as number[], sequential: { ours: [] as number[], bare: [] as number[] } };
  const b4 = { nodeOptions: unitNodeOptions(), idleRssMb: [] as number[], plainIdleRssMb: [] as number[], loadedIdleRssMb: Number.NaN, afterRegistrationsRssMb: Number.NaN, registrations: 0, invites: plan.memoryInvites, registrationsPerSecond: Number.NaN };

  // Prosody as the README sets it up (the bridge on the main host), plus a second host with
  // Prosody's own invites for the native path: both in one server process, hashing alike.
  const prosody = await startProsody({ bridge: true, nativeInvitesHost: "native.example.test", admins: [`${ADMIN.username}@example.test`] });
  const prosodyTarget: B1Target = {
    domain: prosody.domain, nativeDomain: "native.example.test", anonDomain: prosody.anonDomain, componentDomain: prosody.componentDomain,
    c2sPort: prosody.c2sPort, paths: ["native", "app", "xmpp", "web"],
    nativeTokens: (count) => nativeTokens(prosody, count, "native.example.test"),
    admin: ADMIN, inviter: `${INVITER}@${prosody.domain}`, rosterWrites: true,
  };
  const componentConfig = { admins: [`${ADMIN.username}@${prosody.domain}`] };
  try {
    await prosody.registerUser(ADMIN.username, ADMIN.password);
    await prosody.registerUser(INVITER, "inviter-password-0123");
    const runs: B1Run[] = [];
    for (let run = 0; run < plan.runs; run++) {
      const component = await startComponentProcess(prosody, await freePort(), cli, { extra: componentConfig, timing: true });
      try {
        const result = await runB1(prosodyTarget, component, plan, run === 0, say);
        runs.push(result);
        summariseRun(`B1 Prosody run ${run + 1}`, result);
      } finally {
        await component.stop();
      }
    }
    b1.push({ server: `Prosody ${prosody.version}`, adapter: "xep0133", runs });

    // B2 (and B4 idle): fresh processes for both, order alternating per run, so neither gains from going second.
    const bareScript = join(root, "tools", "bench", "bare-component.ts");
    for (let run = 0; run < plan.runs; run++) {
      const measure = async (ours: boolean) => {
        let stop: () => Promise<void>;
        if (ours) {
          const component = await startComponentProcess(prosody, await freePort(), cli);
          await sleep(2000);
          b4.idleRssMb.push(rssMb(component.pid));
          stop = () => component.stop();
        } else {
          const bare = await startBareComponent(prosody, bareScript);
          await sleep(2000);
          stop = () => bare.stop();
        }
        const sequential = await iqRoundTrips(prosody, plan.roundTrips, 1);
        const parallel = await iqRoundTrips(prosody, plan.roundTrips, b2.inFlight);
        await stop();
        return { sequential, parallel };
      };
      const oursFirst = run % 2 === 0;
      const first = await measure(oursFirst);
      const second = await measure(!oursFirst);
      const [o, b] = oursFirst ? [first, second] : [second, first];
      b2.sequential.ours.push(o.sequential);
      b2.sequential.bare.push(b.sequential);
      b2.ours.push(o.parallel);
      b2.bare.push(b.parallel);
      say(`B2 run ${run + 1}: ours ${o.sequential.toFixed(0)}/${o.parallel.toFixed(0)} IQ/s, bare ${b.sequential.toFixed(0)}/${b.parallel.toFixed(0)} IQ/s (1/${b2.inFlight} in flight); B4 idle ${b4.idleRssMb.at(-1)?.toFixed(1)} MB`);
    }

    // B4 idle without the unit's NODE_OPTIONS: what `node dist/cli/main.js start` alone takes.
    for (let run = 0; run < plan.runs; run++) {
      const plain = await startComponentProcess(prosody, await freePort(), cli, { nodeOptions: "" });
      await sleep(2000);
      b4.plainIdleRssMb.push(rssMb(plain.pid));
      await plain.stop();
    }

    // B4 loaded: a store of `memoryInvites`, then registrations through every door, 16 at once.
    say(`B4: filling the store with ${plan.memoryInvites} invites`);
    const loaded = await startComponentProcess(prosody, await freePort(), cli, { extra: componentConfig, prefill: plan.memoryInvites });
    try {
      await sleep(2000);
      b4.loadedIdleRssMb = rssMb(loaded.pid);
      const { register } = registerer(prosodyTarget, loaded);
      const doors: PathName[] = ["app", "xmpp", "web"];
      const tokens = (await loaded.invites.createMany(plan.memoryRegistrations)).map((made) => made.token);
      const pool = await timedPool(tokens.map((token, i) => ({ token, path: doors[i % doors.length] as PathName })), 16, async ({ token, path }) => {
        await register(path, token);
      });
      b4.registrations = tokens.length;
      b4.registrationsPerSecond = tokens.length / (pool.wallMs / 1000);
      await sleep(2000);
      b4.afterRegistrationsRssMb = rssMb(loaded.pid);
      say(`B4: idle ${b4.idleRssMb.map((v) => v.toFixed(1)).join("/")} MB (without NODE_OPTIONS ${b4.plainIdleRssMb.map((v) => v.toFixed(1)).join("/")}); ${plan.memoryInvites} invites ${b4.loadedIdleRssMb.toFixed(1)} MB, after ${tokens.length} registrations ${b4.afterRegistrationsRssMb.toFixed(1)} MB`);
    } finally {
      await loaded.stop();
    }
  } finally {
    await prosody.stop();
  }

  // ejabberd 23.01 and 24.12 have no invites: the anchor is ejabberd's own open in-band registration,
  // on a second host of the same server; the bridge module (built for this ejabberd) on the main domain.
  const moduleDir = mkdtempSync(join(tmpdir(), "xmpp-invites-bench-ejabberd-"));
  const { beam } = await buildEjabberdModule({ out: moduleDir });
  const ejabberd = await startEjabberd({
    openRegistration: true, beams: [beam], extraHost: "native.example.test",
    domainModules: "  mod_xmpp_invites:\n    component: invites.example.test\n",
  });
  rmSync(moduleDir, { recursive: true, force: true });
  try {
    await ejabberd.registerUser(ADMIN.username, ADMIN.password);
    await ejabberd.registerUser(INVITER, "inviter-password-0123");
    const adapters = [
      { name: "xep0133", config: {} },
      { name: "ejabberd-api", config: { adapter: { type: "ejabberd-api", url: ejabberd.apiUrl() } } },
    ];
    const byAdapter = new Map<string, B1Run[]>(adapters.map((a) => [a.name, []]));
    for (let run = 0; run < plan.runs; run++) {
      for (const adapter of adapters) {
        const target: B1Target = {
          domain: ejabberd.domain, nativeDomain: "native.example.test", anonDomain: ejabberd.anonDomain, componentDomain: ejabberd.componentDomain,
          c2sPort: ejabberd.c2sPort, paths: ["native", "app", "xmpp", "web"],
          nativeTokens: async (count) => Array.from({ length: count }, () => undefined),
          // XEP-0356 roster sets fail in ejabberd 23.01; its HTTP API writes rosters.
          admin: ADMIN, inviter: `${INVITER}@${ejabberd.domain}`, rosterWrites: adapter.name === "ejabberd-api",
        };
        const component = await startComponentProcess(ejabberd, await freePort(), cli, { extra: { admins: [`${ADMIN.username}@${ejabberd.domain}`], ...adapter.config }, timing: true });
        try {
          const result = await runB1(target, component, plan, run === 0, say);
          byAdapter.get(adapter.name)?.push(result);
          summariseRun(`B1 ejabberd (${adapter.name}) run ${run + 1}`, result);
        } finally {
          await component.stop();
        }
      }
    }
    for (const adapter of adapters) b1.push({ server: `ejabberd ${ejabberd.version}`, adapter: adapter.name, runs: byAdapter.get(adapter.name) ?? [] });
  } finally {
    await ejabberd.stop();
  }

  const importCost = importCosts(root, unitNodeOptions());
  say(`B4 import cost: ${importCost.map((c) => `${c.module} +${c.addedMb.toFixed(1)}`).join(", ")}`);

  const b3 = [];
  for (let i = 0; i < (plan.quick ? 1 : 3); i++) b3.push(await benchStore(plan.storeInvites, plan.storeSamples));
  say(`B3 ${plan.storeInvites} invites: ${b3.map((r) => `${(r.first100kMs / 1000).toFixed(2)} s per 100k, p99 ${r.claimConsumeP99Us.toFixed(0)} µs`).join("; ")}`);

  const results: Results = {
    date: new Date().toISOString(),
    command: plan.quick ? "npm run bench -- --quick" : "npm run bench",
    machine: {
      cores: cpus().length, cpu: cpus()[0]?.model ?? "unknown", memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version,
      prosody: packageVersion("prosody"), ejabberd: packageVersion("ejabberd"),
      loadBefore: loadBefore.map((v) => Number(v.toFixed(2))), loadAfter: loadavg().map((v) => Number(v.toFixed(2))),
      minutes: Number(((ms() - started) / 60_000).toFixed(1)),
    },
    plan,
    b1,
    b2,
    b3,
    b4: { ...b4, importCost },
  };
  mkdirSync(join(root, "bench"), { recursive: true });
  writeFileSync(join(root, "bench", plan.quick ? "results-quick.json" : "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  const report = renderReport(results);
  if (!plan.quick) writeFileSync(join(root, "BENCHMARKS.md"), report);
  process.stdout.write(report);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
