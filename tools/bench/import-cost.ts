// B4's explanation: what each module adds to the resident memory of a fresh Node process, imported one
// after another in the order the component loads them, with the NODE_OPTIONS the service runs with.
import { spawnSync } from "node:child_process";
import { percentile } from "./stats.js";

/** The heavy dependencies first, then the component's own entry points (each includes what it imports). */
const MODULES = ["pino", "better-sqlite3", "@xmpp/component", "fastify", "zod", "./dist/config/load.js", "./dist/http/index.js", "./dist/app.js", "./dist/cli/start.js"];

const SCRIPT = `
const rss = () => process.memoryUsage().rss / 2 ** 20;
const settle = () => new Promise((done) => setTimeout(done, 200));
await settle();
const out = [{ module: "node", rssMb: rss() }];
for (const name of process.argv.slice(1)) {
  await import(name.startsWith("./") ? new URL(name, "file://" + process.cwd() + "/").href : name);
  await settle();
  out.push({ module: name, rssMb: rss() });
}
process.stdout.write(JSON.stringify(out));
`;

export interface ImportCost {
  readonly module: string;
  /** RSS after importing it (and everything before it), median of the runs. */
  readonly rssMb: number;
  readonly addedMb: number;
}

export function importCosts(root: string, nodeOptions: string, runs = 3): ImportCost[] {
  const samples = Array.from({ length: runs }, () => {
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", SCRIPT, ...MODULES], { cwd: root, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: nodeOptions } });
    if (result.status !== 0) throw new Error(`import cost run failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as { module: string; rssMb: number }[];
  });
  const first = samples[0] ?? [];
  return first.map(({ module }, i) => {
    const at = (index: number) => percentile(samples.map((sample) => sample[index]?.rssMb ?? Number.NaN), 50);
    return { module, rssMb: at(i), addedMb: i === 0 ? at(0) : at(i) - at(i - 1) };
  });
}
