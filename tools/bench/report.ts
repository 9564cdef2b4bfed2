// Renders the benchmark results as BENCHMARKS.md: one table per benchmark, figures as the median
// of the runs with min–max, ratios computed pair by pair within each run.
import type { DoorResult } from "./live.js";
import type { StoreResult } from "./b3-store.js";
import { type Spread, spread } from "./stats.js";

export interface Results {
  date: string;
  command: string;
  machine: { cores: number; cpu: string; memoryGiB: number; node: string; prosody: string };
  plan: { runs: number; registrations: number; roundTrips: number; storeInvites: number };
  b1: Record<string, { native: DoorResult[]; xmpp: DoorResult[]; web: DoorResult[] }>;
  b2: { inFlight: number; ours: number[]; bare: number[]; sequential: { ours: number[]; bare: number[] } };
  b3: StoreResult[];
  b4: { idleRssMb: number; afterB1RssMb: number };
}

const f = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : "–");
const show = (s: Spread, digits = 0) => `${f(s.median, digits)} (${f(s.min, digits)}–${f(s.max, digits)})`;
const ratios = (a: readonly number[], b: readonly number[]) => spread(a.map((value, i) => value / (b[i] ?? Number.NaN)));

export function renderReport(r: Results): string {
  const lines: string[] = [];
  const out = (line = "") => lines.push(line);
  out("# Benchmarks");
  out();
  out(`Measured ${r.date.slice(0, 10)} with \`${r.command}\` on ${r.machine.cores} cores (${r.machine.cpu}), ${r.machine.memoryGiB} GiB,`);
  out(`Node ${r.machine.node}, Prosody ${r.machine.prosody}, all on loopback. Each figure is the median of ${r.plan.runs} run(s) with min–max;`);
  out("ratios are taken pair by pair inside each run. Raw figures: `bench/results.json`.");
  out();
  out(`## B1 registration (${r.plan.registrations} per door per run)`);
  out();
  out("Native: Prosody's own `mod_invites_register` on an unauthenticated c2s stream (preauth + register). XMPP door: an anonymous");
  out("session logs in, sends preauth and register to the component, which creates the account with XEP-0133. Web door: GET the");
  out("form, POST it. Prosody's PBKDF2 (10 000 iterations) runs for every account on every path.");
  out();
  out("| load | path | registrations/s | p50 ms | p99 ms | ours/native (rate) |");
  out("|---|---|---|---|---|---|");
  for (const [key, doors] of Object.entries(r.b1)) {
    const load = key === "c1" ? "sequential" : `${key.slice(1)} at once`;
    const native = doors.native.map((d) => d.perSecond);
    for (const [name, results] of [["native", doors.native], ["xmpp door", doors.xmpp], ["web door", doors.web]] as const) {
      const rate = results.map((d) => d.perSecond);
      out(`| ${load} | ${name} | ${show(spread(rate))} | ${show(spread(results.map((d) => d.p50Ms)), 1)} | ${show(spread(results.map((d) => d.p99Ms)), 1)} | ${name === "native" ? "1" : show(ratios(rate, native), 2)} |`);
    }
  }
  out();
  out(`## B2 component overhead (${r.plan.roundTrips} register \`get\` round trips per run, one anonymous client)`);
  out();
  out("| in flight | xmpp-invites (IQ/s) | bare @xmpp/component (IQ/s) | ours/bare |");
  out("|---|---|---|---|");
  out(`| 1 | ${show(spread(r.b2.sequential.ours))} | ${show(spread(r.b2.sequential.bare))} | ${show(ratios(r.b2.sequential.ours, r.b2.sequential.bare), 2)} |`);
  out(`| ${r.b2.inFlight} | ${show(spread(r.b2.ours))} | ${show(spread(r.b2.bare))} | ${show(ratios(r.b2.ours, r.b2.bare), 2)} |`);
  out();
  out(`## B3 store at scale (${r.plan.storeInvites.toLocaleString("en")} invites, SQLite file, WAL)`);
  out();
  out("| figure | value |");
  out("|---|---|");
  out(`| first 100 000 created (batches of 10 000 per transaction) | ${show(spread(r.b3.map((s) => s.first100kMs / 1000)), 2)} s |`);
  out(`| creation rate, batched | ${show(spread(r.b3.map((s) => s.createPerSecond)))} /s |`);
  out(`| creation rate, one per transaction (CLI, API) | ${show(spread(r.b3.map((s) => s.singleCreatePerSecond)))} /s |`);
  out(`| claim + consume p50 | ${show(spread(r.b3.map((s) => s.claimConsumeP50Us)))} µs |`);
  out(`| claim + consume p99 | ${show(spread(r.b3.map((s) => s.claimConsumeP99Us)))} µs |`);
  out(`| one page (50) of pending invites | ${show(spread(r.b3.map((s) => s.listPageMs)), 2)} ms |`);
  out(`| database size per invite | ${show(spread(r.b3.map((s) => s.bytesPerInvite)))} bytes |`);
  out(`| bench process RSS after the run | ${show(spread(r.b3.map((s) => s.rssMb)))} MB |`);
  out();
  out("## B4 memory (the component process)");
  out();
  out("| when | RSS |");
  out("|---|---|");
  out(`| idle, 2 s after start | ${f(r.b4.idleRssMb, 1)} MB |`);
  out(`| after B1 | ${f(r.b4.afterB1RssMb, 1)} MB |`);
  out();
  targets(r, out);
  return `${lines.join("\n")}\n`;
}

function targets(r: Results, out: (line?: string) => void): void {
  const seq = r.b1["c1"];
  const par = r.b1["c16"];
  const ratio = (doors: { native: DoorResult[]; xmpp: DoorResult[]; web: DoorResult[] } | undefined, door: "xmpp" | "web") =>
    doors ? ratios(doors[door].map((d) => d.perSecond), doors.native.map((d) => d.perSecond)).median : Number.NaN;
  const b2 = ratios(r.b2.ours, r.b2.bare).median;
  const b2seq = ratios(r.b2.sequential.ours, r.b2.sequential.bare).median;
  const first100k = spread(r.b3.map((s) => s.first100kMs / 1000)).median;
  const p99 = spread(r.b3.map((s) => s.claimConsumeP99Us)).median;
  const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
  out("## Against the targets");
  out();
  out("| target | measured | |");
  out("|---|---|---|");
  out(`| B1 ours/native ≥ 1.0 | xmpp door ${f(ratio(seq, "xmpp"), 2)} sequential, ${f(ratio(par, "xmpp"), 2)} at 16; web door ${f(ratio(seq, "web"), 2)} / ${f(ratio(par, "web"), 2)} | ${verdict(ratio(seq, "xmpp") >= 1 && ratio(par, "xmpp") >= 1 && ratio(seq, "web") >= 1 && ratio(par, "web") >= 1)} |`);
  out(`| B2 ours/bare ≥ 0.9 | ${f(b2seq, 2)} sequential, ${f(b2, 2)} with ${r.b2.inFlight} in flight | ${verdict(b2seq >= 0.9 && b2 >= 0.9)} |`);
  out(`| B3 claim+consume p99 < 0.5 ms at 1 M; 100 k created in < 3 s | ${f(p99)} µs; ${f(first100k, 2)} s | ${verdict(p99 < 500 && first100k < 3)} |`);
  out(`| B4 idle RSS < 80 MB | ${f(r.b4.idleRssMb, 1)} MB | ${verdict(r.b4.idleRssMb < 80)} |`);
  out();
  out("### Why, and what would change it");
  out();
  out("- **B1, XMPP door, sequential.** The native path is two IQs on an unauthenticated stream. The XMPP door first logs in");
  out("  (SASL ANONYMOUS, stream restart, resource binding), then sends its two IQs through the component, which adds one");
  out("  XEP-0133 round trip to the server. A CPU profile of the component (`node --cpu-prof`) under this load shows it mostly");
  out("  idle: the time is the extra round trips and the client's login, not the component. With 16 at once the server's");
  out("  password hashing dominates and the door keeps pace with or passes the native path. A client that registers several");
  out("  accounts (a provisioning bot) can keep one session: each preauth + register pair works on the same session. The web");
  out("  door needs no XMPP login and passes the native path. Note that the native path slows down from run to run (Prosody's");
  out("  own invite and account storage as the server fills), which lifts the later runs' ratios: compare the first run's");
  out("  pair in `bench/results.json` for the fairest sequential figure.");
  out("- **B2.** The baseline answers with the very same registration form. What is left is the work a real registration");
  out("  service does per request: the check whether the requester already registered (one indexed SQLite lookup), the");
  out("  policy, the routing of a dozen handlers. Profiled, the component spends most of its time idle; socket writes and GC");
  out("  lead its own CPU time.");
  out("- **B3.** Creation is batched in transactions of 10 000 (`createMany`); one invite per transaction (the CLI, the API)");
  out("  is the slower row. Random bytes come from a 4 KiB pool: one `randomBytes` call per token cost more than the insert.");
  out("  WAL checkpoints run every 10 000 pages and from housekeeping, so a claim rarely pays for one.");
  out("- **B4.** Node itself is about 40 MB; fastify, zod, better-sqlite3 and @xmpp/component make most of the rest.");
  out("  `@xmpp/client` (about 17 MB, only for the `xep0133-account` adapter) and `qrcode` (about 8 MB, first landing page)");
  out("  load only when used, and the metrics are written by hand instead of with a client library (about 12 MB).");
  out();
}
