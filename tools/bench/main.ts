// `npm run bench [-- --quick]`: B1 registration, B2 component overhead, B3 store at scale,
// B4 memory, side by side with Prosody's own invites on one real server, in one run.
// Writes bench/results.json and BENCHMARKS.md.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { freePort } from "../demo/ports.js";
import { ensureProsodyInstalled, startProsody } from "../demo/prosody.js";
import { benchStore } from "./b3-store.js";
import { type DoorResult, iqRoundTrips, nativeTokens, registerNative, registerWeb, registerXmpp, startBareComponent, startComponentProcess } from "./live.js";
import { rssMb, spread } from "./stats.js";
import { renderReport } from "./report.js";

export interface Plan {
  readonly quick: boolean;
  readonly runs: number;
  readonly registrations: number;
  readonly concurrency: readonly number[];
  readonly roundTrips: number;
  readonly storeInvites: number;
  readonly storeSamples: number;
}

const say = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, render: { type: "boolean", default: false } }, strict: true });
  const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
  if (values.render) {
    // Re-renders BENCHMARKS.md from the last full run's raw figures.
    const report = renderReport(JSON.parse(readFileSync(join(root, "bench", "results.json"), "utf8")));
    writeFileSync(join(root, "BENCHMARKS.md"), report);
    process.stdout.write(report);
    return;
  }
  const plan: Plan = values.quick
    ? { quick: true, runs: 1, registrations: 30, concurrency: [1, 16], roundTrips: 300, storeInvites: 100_000, storeSamples: 2000 }
    : { quick: false, runs: 3, registrations: 200, concurrency: [1, 16], roundTrips: 2000, storeInvites: 1_000_000, storeSamples: 10_000 };
  const cli = join(root, "dist", "cli", "main.js");
  await ensureProsodyInstalled(say);
  const server = await startProsody({ nativeInvites: true });
  const b1: Record<string, { native: DoorResult[]; xmpp: DoorResult[]; web: DoorResult[] }> = {};
  const b2: { ours: number[]; bare: number[]; inFlight: number } = { ours: [], bare: [], inFlight: 16 };
  const b2Sequential: { ours: number[]; bare: number[] } = { ours: [], bare: [] };
  let rssIdle = Number.NaN;
  let rssAfter = Number.NaN;
  try {
    const ours = await startComponentProcess(server, await freePort(), cli);
    await new Promise((done) => setTimeout(done, 2000));
    rssIdle = rssMb(ours.pid);
    say(`B4 idle RSS ${rssIdle.toFixed(1)} MB`);
    for (let run = 0; run < plan.runs; run++) {
      for (const concurrency of plan.concurrency) {
        const key = `c${concurrency}`;
        b1[key] ??= { native: [], xmpp: [], web: [] };
        const n = plan.registrations;
        const native = await nativeTokens(server, n);
        const xmppTokens = (await ours.invites.createMany(n)).map((made) => made.token);
        const webTokens = (await ours.invites.createMany(n)).map((made) => made.token);
        const tag = `r${run}c${concurrency}`;
        const nativeResult = await registerNative(server, native, `n${tag}x`, concurrency);
        const xmppResult = await registerXmpp(server, xmppTokens, `x${tag}x`, concurrency);
        const webResult = await registerWeb(ours.httpBase, webTokens, `w${tag}x`, concurrency);
        b1[key].native.push(nativeResult);
        b1[key].xmpp.push(xmppResult);
        b1[key].web.push(webResult);
        say(`B1 run ${run + 1} ×${concurrency}: native ${nativeResult.perSecond.toFixed(0)}/s, xmpp ${xmppResult.perSecond.toFixed(0)}/s, web ${webResult.perSecond.toFixed(0)}/s`);
      }
    }
    rssAfter = rssMb(ours.pid);
    say(`B4 RSS after B1 ${rssAfter.toFixed(1)} MB`);

    await ours.stop();
    // B2: fresh processes for both, order alternating per run, so neither gains from going second.
    const bareScript = join(root, "tools", "bench", "bare-component.ts");
    for (let run = 0; run < plan.runs; run++) {
      const measure = async (start: () => Promise<{ stop(): Promise<void> }>) => {
        const started = await start();
        const sequential = await iqRoundTrips(server, plan.roundTrips, 1);
        const parallel = await iqRoundTrips(server, plan.roundTrips, b2.inFlight);
        await started.stop();
        return { sequential, parallel };
      };
      const oursFirst = run % 2 === 0;
      const first = await measure(oursFirst ? async () => startComponentProcess(server, await freePort(), cli) : () => startBareComponent(server, bareScript));
      const second = await measure(oursFirst ? () => startBareComponent(server, bareScript) : async () => startComponentProcess(server, await freePort(), cli));
      const [o, b] = oursFirst ? [first, second] : [second, first];
      b2Sequential.ours.push(o.sequential);
      b2Sequential.bare.push(b.sequential);
      b2.ours.push(o.parallel);
      b2.bare.push(b.parallel);
      say(`B2 run ${run + 1}: ours ${o.sequential.toFixed(0)}/${o.parallel.toFixed(0)} IQ/s, bare ${b.sequential.toFixed(0)}/${b.parallel.toFixed(0)} IQ/s (1/${b2.inFlight} in flight)`);
    }
  } finally {
    await server.stop();
  }

  const b3 = [];
  for (let i = 0; i < (plan.quick ? 1 : 3); i++) b3.push(await benchStore(plan.storeInvites, plan.storeSamples));
  say(`B3 ${plan.storeInvites} invites: ${b3.map((r) => `${(r.first100kMs / 1000).toFixed(2)} s per 100k, p99 ${r.claimConsumeP99Us.toFixed(0)} µs`).join("; ")}`);

  const results = {
    date: new Date().toISOString(),
    command: plan.quick ? "npm run bench -- --quick" : "npm run bench",
    machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? "unknown", memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, prosody: server.version },
    plan,
    b1,
    b2: { inFlight: b2.inFlight, ours: b2.ours, bare: b2.bare, sequential: b2Sequential },
    b3,
    b4: { idleRssMb: rssIdle, afterB1RssMb: rssAfter },
    summary: {
      b2Ratio: spread(b2.ours.map((v, i) => v / (b2.bare[i] ?? Number.NaN))),
    },
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
