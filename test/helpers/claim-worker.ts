// One process claiming uses of one invite in a shared SQLite file, for the concurrency test:
// prints "ready", waits for a line on stdin, claims `attempts` times as fast as it can, then prints
// what it got. Only the refusal "token-used" is expected; anything else fails the process.
import { createInterface } from "node:readline";
import { isAppError } from "../../src/errors.js";
import { systemClock } from "../../src/invites/domain/clock.js";
import { InviteService } from "../../src/invites/service/invite-service.js";
import { openSqliteStores } from "../../src/adapters/store/sqlite/index.js";

const [path = "", token = "", attemptsText = "0", name = "w"] = process.argv.slice(2);
const stores = openSqliteStores(path);
const invites = new InviteService({ store: stores.invites, claims: stores.claims, clock: systemClock, domain: "example.test", defaultExpiry: 3600 });

const lines = createInterface({ input: process.stdin });
process.stdout.write("ready\n");
lines.once("line", async () => {
  const claimed: string[] = [];
  const refused: Record<string, number> = {};
  for (let i = 0; i < Number(attemptsText); i++) {
    try {
      claimed.push((await invites.claim(token, `${name}u${i}`)).id);
    } catch (err) {
      if (!isAppError(err) || err.code !== "token-invalid") throw err;
      const reason = String(err.cause);
      refused[reason] = (refused[reason] ?? 0) + 1;
    }
  }
  stores.db.close();
  process.stdout.write(`${JSON.stringify({ claimed, refused })}\n`);
  lines.close();
});
