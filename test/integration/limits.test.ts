// invite_limits under concurrency, through the real ad-hoc command on a real Prosody, with the
// invites in SQLite and in PostgreSQL: one user firing many urn:xmpp:invite#invite executes at
// once gets exactly as many invites as the limit, and every other execute the limit's error.
import type { Element } from "ltx";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { xml } from "../../src/protocol/xml.js";
import { type PostgresServer, startPostgres } from "../../tools/demo/postgres.js";
import type { ProsodyServer } from "../../tools/demo/prosody.js";
import { type Session, login } from "../helpers/clients.js";
import { type Live, startLive } from "../helpers/live.js";

const COMMANDS = "http://jabber.org/protocol/commands";
const PW = "pw-sharedsecret-98765";
const AT_ONCE = 200;
const ACTIVE_TEXT = "You have 5 invites that can still be used, the most allowed; wait until one is used or expires, or ask an admin to revoke one";
const DAY_TEXT = "You have created 8 invites in the last 24 hours, the most allowed; please try again later";

type Refusal = { condition: string | undefined; type: string | undefined; text: string | undefined };

let postgres: PostgresServer | undefined;
afterAll(async () => {
  await postgres?.stop();
});

const engines: readonly [string, () => Promise<string>][] = [
  ["SQLite", async () => ":memory:"],
  ["PostgreSQL", async () => {
    postgres = await startPostgres();
    return postgres.url;
  }],
];

for (const [engine, database] of engines) {
  describe(`invite_limits hold when one user sends many executes at once (${engine})`, () => {
    let live: Live;
    let server: ProsodyServer;
    let app: App;
    let mallory: Session;

    beforeAll(async () => {
      live = await startLive({}, {
        admins: ["admin@example.test"],
        database: await database(),
        invite_limits: { active_per_user: 5, per_user_per_day: 8, chain_depth: 0, chain_window: 300, tree_size: 0 },
      });
      ({ server, app } = live);
      await server.registerUser("mallory", PW);
      mallory = await login(server, "mallory", PW);
    }, 120_000);

    afterAll(async () => {
      await mallory?.stop().catch(() => undefined);
      await live?.stop();
    });

    function execute(session: Session): Promise<Element> {
      const command = xml("command", { xmlns: COMMANDS, node: "urn:xmpp:invite#invite", action: "execute" });
      return session.iqCaller.request(xml("iq", { type: "set", to: server.componentDomain }, command), 30_000);
    }

    /** Fires `count` executes at once: how many completed, and the refusals. */
    async function burst(count: number): Promise<{ completed: number; refusals: Refusal[] }> {
      const outcomes = await Promise.allSettled(Array.from({ length: count }, () => execute(mallory)));
      const completed = outcomes.filter((o) => o.status === "fulfilled" && o.value.getChild("command", COMMANDS)?.attrs["status"] === "completed").length;
      const refusals = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason as Refusal] : []));
      return { completed, refusals: refusals.map(({ condition, type, text }) => ({ condition, type, text })) };
    }

    const malloryInvites = async () => (await app.invites.list({ all: true })).filter((invite) => invite.inviter === "mallory@example.test");

    it(`${AT_ONCE} urn:xmpp:invite#invite at once against active_per_user 5: exactly 5 invites, every other execute refused with invite-limit`, async () => {
      const { completed, refusals } = await burst(AT_ONCE);
      expect(completed).toBe(5);
      expect(refusals).toHaveLength(AT_ONCE - 5);
      for (const refusal of refusals) expect(refusal).toEqual({ condition: "resource-constraint", type: "wait", text: ACTIVE_TEXT });
      expect(await malloryInvites()).toHaveLength(5);
    }, 120_000);

    it(`per_user_per_day 8: with the 5 revoked, ${AT_ONCE} more at once create exactly 3`, async () => {
      await app.tree.revokePending("mallory@example.test");
      const { completed, refusals } = await burst(AT_ONCE);
      expect(completed).toBe(3);
      expect(refusals).toHaveLength(AT_ONCE - 3);
      for (const refusal of refusals) expect(refusal).toEqual({ condition: "resource-constraint", type: "wait", text: DAY_TEXT });
      expect(await malloryInvites()).toHaveLength(8);
    }, 120_000);
  });
}
