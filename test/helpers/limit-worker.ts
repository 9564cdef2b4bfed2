// One process creating contact invites within invite_limits in a shared SQLite file, for the
// concurrency test: prints "ready", waits for a line on stdin, then creates one invite for each
// of `users` users (u0@…, u1@…, in that order) as fast as it can, and prints how many it made.
// Only the refusal "invite-limit" is expected; anything else fails the process.
import { createInterface } from "node:readline";
import { isAppError } from "../../src/errors.js";
import { systemClock } from "../../src/invites/domain/clock.js";
import { InviteLimits } from "../../src/invites/service/limits.js";
import { InviteService } from "../../src/invites/service/invite-service.js";
import { openSqliteStores } from "../../src/adapters/store/sqlite/index.js";

const [path = "", usersText = "0"] = process.argv.slice(2);
const stores = openSqliteStores(path);
const invites = new InviteService({ store: stores.invites, claims: stores.claims, clock: systemClock, domain: "example.test", defaultExpiry: 3600 });
const limits = new InviteLimits({ limits: { activePerUser: 1, perUserPerDay: 0, chainDepth: 0, chainWindowMs: 300_000, treeSize: 0 } });

const lines = createInterface({ input: process.stdin });
process.stdout.write("ready\n");
lines.once("line", async () => {
  let created = 0;
  let refused = 0;
  for (let i = 0; i < Number(usersText); i++) {
    try {
      await invites.create({ type: "contact", inviter: `u${i}@example.test` }, limits);
      created += 1;
    } catch (err) {
      if (!isAppError(err) || err.code !== "invite-limit") throw err;
      refused += 1;
    }
  }
  stores.db.close();
  process.stdout.write(`${JSON.stringify({ created, refused })}\n`);
  lines.close();
});
