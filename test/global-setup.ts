// The run leaves nothing behind: every test process gets its own TMPDIR, and at the end that
// folder must be empty and no process started with it may still run. Leftovers are listed,
// removed or killed, and fail the run.
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serversLine } from "../tools/demo/versions.js";

/**
 * Processes whose environment carries TMPDIR=dir: started by this run. The runner's own children
 * (its workers and watchdog) are not counted: they end with it.
 */
export function processesStartedWith(dir: string): Array<{ pid: number; command: string }> {
  const marker = `TMPDIR=${dir}`;
  const found: Array<{ pid: number; command: string }> = [];
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return found; // no /proc: not Linux, nothing to inspect
  }
  for (const name of pids) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${name}/environ`, "latin1").split("\0").includes(marker)) continue;
      const command = readFileSync(`/proc/${name}/cmdline`, "latin1").split("\0").join(" ").trim();
      const status = readFileSync(`/proc/${name}/status`, "latin1");
      const state = /^State:\s+(\S)/m.exec(status)?.[1];
      const parent = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      // A zombie holds nothing and goes with its parent.
      if (state !== "Z" && parent !== process.pid) found.push({ pid, command });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

export function setup(): () => Promise<void> {
  // Once per run: which server versions the integration suites start.
  process.stdout.write(`${serversLine()}\n`);
  const dir = mkdtempSync(join(tmpdir(), "xmpp-invites-test-run-"));
  // Like /tmp, passable by the servers that drop to their own user (ejabberd), though not listable.
  chmodSync(dir, 0o711);
  const previous = process.env["TMPDIR"];
  process.env["TMPDIR"] = dir; // inherited by the test workers and everything they start
  // tsx (the demo and benchmark tests run tools/ through it) would keep a compile cache there.
  process.env["TSX_DISABLE_CACHE"] = "1";

  return async () => {
    if (previous === undefined) delete process.env["TMPDIR"];
    else process.env["TMPDIR"] = previous;
    // Servers stopped at the very end of a file may still be exiting: give them a moment.
    let processes = processesStartedWith(dir);
    for (let i = 0; i < 50 && processes.length > 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      processes = processesStartedWith(dir);
    }
    const entries = readdirSync(dir);
    for (const { pid } of processes) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
    const problems = [
      ...processes.map(({ pid, command }) => `process ${pid} still running: ${command}`),
      ...entries.map((entry) => `left in the temporary folder: ${entry}`),
    ];
    if (problems.length > 0) {
      throw new Error(`the tests left things behind (now removed):\n  ${problems.join("\n  ")}`);
    }
  };
}
