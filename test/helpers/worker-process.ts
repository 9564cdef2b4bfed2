// A test worker in its own Node process (a second component or the CLI on one SQLite file): it
// prints "ready", waits for a line on stdin (`go`, so every worker starts at once), then prints
// one JSON line with what it did and exits 0.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { expect } from "vitest";

export interface WorkerProcess<R> {
  readonly ready: Promise<void>;
  readonly result: Promise<R>;
  /** Lets the worker start. */
  go(): void;
}

export function startWorker<R>(script: string, args: readonly string[], name: string): WorkerProcess<R> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", script, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => { stderr += chunk.toString("utf8"); });
  const lines = createInterface({ input: child.stdout! });
  const received: string[] = [];
  const waiters: Array<() => void> = [];
  lines.on("line", (line) => {
    received.push(line);
    waiters.shift()?.();
  });
  const line = (n: number) => new Promise<string>((done, fail) => {
    const check = () => (received.length > n ? done(received[n] ?? "") : waiters.push(check));
    child.once("exit", (code) => { if (received.length <= n) fail(new Error(`worker ${name} exited with ${code}: ${stderr}`)); });
    check();
  });
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  return {
    ready: line(0).then((text) => expect(text).toBe("ready")),
    result: Promise.all([line(1), exited]).then(([text, code]) => {
      expect(code, stderr).toBe(0);
      return JSON.parse(text) as R;
    }),
    go: () => void child.stdin?.end("go\n"),
  };
}
