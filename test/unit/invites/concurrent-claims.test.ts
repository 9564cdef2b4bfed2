// Several processes claim uses of one invite in one SQLite file at the same moment, as the
// component and the CLI (or two components) would: exactly max_uses claims, no other error.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, expect, it } from "vitest";
import { systemClock } from "../../../src/invites/clock.js";
import { InviteService } from "../../../src/invites/service.js";
import { openStores } from "../../../src/invites/sqlite/index.js";

const dir = mkdtempSync(join(tmpdir(), "xmpp-invites-claims-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Worker {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly result: Promise<{ claimed: string[]; refused: Record<string, number> }>;
}

function worker(path: string, token: string, attempts: number, name: string): Worker {
  const child = spawn(process.execPath, ["--import", "tsx", resolve("test/helpers/claim-worker.ts"), path, token, String(attempts), name], { stdio: ["pipe", "pipe", "pipe"] });
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
    child,
    ready: line(0).then((text) => expect(text).toBe("ready")),
    result: Promise.all([line(1), exited]).then(([text, code]) => {
      expect(code, stderr).toBe(0);
      return JSON.parse(text) as { claimed: string[]; refused: Record<string, number> };
    }),
  };
}

it("4 processes racing for 30 uses of one invite in one SQLite file get exactly 30 claims", async () => {
  const path = join(dir, "invites.sqlite");
  const stores = openStores(path);
  const invites = new InviteService({ store: stores.invites, claims: stores.claims, clock: systemClock, domain: "example.test", defaultExpiry: 3600 });
  const { invite, token } = await invites.create({ maxUses: 30 });
  await stores.close();

  const workers = ["a", "b", "c", "d"].map((name) => worker(path, token, 25, name));
  await Promise.all(workers.map((w) => w.ready));
  // Every process is open and waiting: start them together.
  for (const w of workers) w.child.stdin?.end("go\n");
  const results = await Promise.all(workers.map((w) => w.result));

  const claimed = results.flatMap((r) => r.claimed);
  expect(claimed).toHaveLength(30);
  expect(new Set(claimed).size).toBe(30);
  // Every other attempt was refused as used up: no SQLITE_BUSY, no other error.
  expect(results.reduce((sum, r) => sum + (r.refused["token-used"] ?? 0), 0)).toBe(100 - 30);
  for (const r of results) expect(Object.keys(r.refused).filter((reason) => reason !== "token-used")).toEqual([]);

  const after = openStores(path);
  try {
    const check = new InviteService({ store: after.invites, claims: after.claims, clock: systemClock, domain: "example.test", defaultExpiry: 3600 });
    expect(await check.get(invite.id)).toMatchObject({ uses: 0, pending: 30 });
  } finally {
    await after.close();
  }
}, 60_000);
