// B3: the invite store at scale — creation rate, claim+consume latency, a page of the pending
// list, bytes per invite and process memory, on a file database like production's.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../src/invites/domain/clock.js";
import { openSqliteStores } from "../../src/adapters/store/sqlite/index.js";
import { InviteService } from "../../src/invites/service/invite-service.js";
import { ms, percentile, rssMb } from "./stats.js";

export interface StoreResult {
  readonly invites: number;
  /** The first 100 000 created in batches of 10 000 (one transaction each). */
  readonly first100kMs: number;
  readonly createPerSecond: number;
  /** One invite per transaction, as the CLI and the API create them. */
  readonly singleCreatePerSecond: number;
  readonly claimConsumeP50Us: number;
  readonly claimConsumeP99Us: number;
  readonly listPageMs: number;
  readonly bytesPerInvite: number;
  readonly rssMb: number;
}

export async function benchStore(total: number, samples: number): Promise<StoreResult> {
  const dir = mkdtempSync(join(tmpdir(), "xmpp-invites-bench-store-"));
  try {
    const path = join(dir, "invites.sqlite");
    const stores = openSqliteStores(path);
    const { db } = stores;
    const invites = new InviteService({ store: stores.invites, claims: stores.claims, clock: systemClock, domain: "example.test", defaultExpiry: 7 * 86400 });
    const kept: string[] = [];
    const keepEvery = Math.max(1, Math.floor(total / samples));
    const batch = 10_000;
    let first100kMs = Number.NaN;
    let created = 0;
    const started = ms();
    while (created < total) {
      const made = await invites.createMany(Math.min(batch, total - created), { note: "bench" });
      made.forEach(({ token }, i) => {
        if ((created + i) % keepEvery === 0) kept.push(token);
      });
      created += made.length;
      if (created === 100_000) first100kMs = ms() - started;
    }
    const createMs = ms() - started;
    const singles = 2000;
    const singleStarted = ms();
    for (let i = 0; i < singles; i++) await invites.create();
    const singleMs = ms() - singleStarted;

    const claimConsume: number[] = [];
    for (const [i, token] of kept.entries()) {
      const t0 = ms();
      const claim = await invites.claim(token, `user${i}`);
      await invites.consume(claim, { jid: `user${i}@example.test`, door: "xmpp", requester: null });
      claimConsume.push((ms() - t0) * 1000);
    }

    const pages: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = ms();
      await invites.list({ limit: 50 });
      pages.push(ms() - t0);
    }
    db.pragma("wal_checkpoint(TRUNCATE)");
    const rss = rssMb();
    db.close();
    const bytes = statSync(path).size;
    return {
      invites: total,
      first100kMs,
      createPerSecond: total / (createMs / 1000),
      singleCreatePerSecond: singles / (singleMs / 1000),
      claimConsumeP50Us: percentile(claimConsume, 50),
      claimConsumeP99Us: percentile(claimConsume, 99),
      listPageMs: percentile(pages, 50),
      bytesPerInvite: bytes / (total + singles),
      rssMb: rss,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
