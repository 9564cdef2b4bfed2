// Several processes create invites for the same users in one SQLite file at the same moment, as
// two components on one file would: each user gets exactly active_per_user (1) invite.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, expect, it } from "vitest";
import { openSqliteStores } from "../../../src/adapters/store/sqlite/index.js";
import { startWorker } from "../../helpers/worker-process.js";

const dir = mkdtempSync(join(tmpdir(), "xmpp-invites-limits-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const USERS = 150;

it(`4 processes each creating one invite for each of ${USERS} users (active_per_user 1) in one SQLite file: exactly one invite per user`, async () => {
  const path = join(dir, "invites.sqlite");
  await openSqliteStores(path).close();

  const workers = ["a", "b", "c", "d"].map((name) => startWorker<{ created: number; refused: number }>(resolve("test/helpers/limit-worker.ts"), [path, String(USERS)], name));
  await Promise.all(workers.map((w) => w.ready));
  // Every process is open and waiting: start them together, each walking the users in the same order.
  for (const w of workers) w.go();
  const results = await Promise.all(workers.map((w) => w.result));

  expect(results.reduce((sum, r) => sum + r.created, 0)).toBe(USERS);
  expect(results.reduce((sum, r) => sum + r.refused, 0)).toBe(3 * USERS);
  const after = openSqliteStores(path);
  try {
    const invites = await after.invites.list(Date.now(), { all: true });
    const perUser = new Map<string, number>();
    for (const invite of invites) perUser.set(invite.inviter ?? "", (perUser.get(invite.inviter ?? "") ?? 0) + 1);
    expect(perUser.size).toBe(USERS);
    expect([...perUser.values()].every((n) => n === 1)).toBe(true);
  } finally {
    await after.close();
  }
}, 60_000);
