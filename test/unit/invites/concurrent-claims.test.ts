// Several processes claim uses of one invite in one SQLite file at the same moment, as the
// component and the CLI (or two components) would: exactly max_uses claims, no other error.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, expect, it } from "vitest";
import { systemClock } from "../../../src/invites/domain/clock.js";
import { InviteService } from "../../../src/invites/service/invite-service.js";
import { openSqliteStores } from "../../../src/adapters/store/sqlite/index.js";
import { startWorker } from "../../helpers/worker-process.js";

const dir = mkdtempSync(join(tmpdir(), "xmpp-invites-claims-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function worker(path: string, token: string, attempts: number, name: string) {
  return startWorker<{ claimed: string[]; refused: Record<string, number> }>(resolve("test/helpers/claim-worker.ts"), [path, token, String(attempts), name], name);
}

it("4 processes racing for 30 uses of one invite in one SQLite file get exactly 30 claims", async () => {
  const path = join(dir, "invites.sqlite");
  const stores = openSqliteStores(path);
  const invites = new InviteService({ store: stores.invites, claims: stores.claims, clock: systemClock, domain: "example.test", defaultExpiry: 3600 });
  const { invite, token } = await invites.create({ maxUses: 30 });
  await stores.close();

  const workers = ["a", "b", "c", "d"].map((name) => worker(path, token, 25, name));
  await Promise.all(workers.map((w) => w.ready));
  // Every process is open and waiting: start them together.
  for (const w of workers) w.go();
  const results = await Promise.all(workers.map((w) => w.result));

  const claimed = results.flatMap((r) => r.claimed);
  expect(claimed).toHaveLength(30);
  expect(new Set(claimed).size).toBe(30);
  // Every other attempt was refused as used up: no SQLITE_BUSY, no other error.
  expect(results.reduce((sum, r) => sum + (r.refused["token-used"] ?? 0), 0)).toBe(100 - 30);
  for (const r of results) expect(Object.keys(r.refused).filter((reason) => reason !== "token-used")).toEqual([]);

  const after = openSqliteStores(path);
  try {
    const check = new InviteService({ store: after.invites, claims: after.claims, clock: systemClock, domain: "example.test", defaultExpiry: 3600 });
    expect(await check.get(invite.id)).toMatchObject({ uses: 0, pending: 30 });
  } finally {
    await after.close();
  }
}, 60_000);
