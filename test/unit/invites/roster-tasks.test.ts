import { describe, expect, it } from "vitest";
import { RosterTaskRunner } from "../../../src/invites/social/roster-tasks.js";
import { FakeRoster } from "../../helpers/fake-adapter.js";
import { makeCore } from "../../helpers/invites.js";

function setup() {
  const core = makeCore();
  const roster = new FakeRoster();
  const runner = new RosterTaskRunner({ queue: core.queue, roster, clock: core.clock, log: core.logs.log, domain: "example.test", retry: { initialMs: 1000, maxMs: 8000 } });
  return { ...core, roster, runner };
}

async function registerThroughContact(core: ReturnType<typeof setup>, inviter: string, username: string) {
  const { token } = await core.invites.create({ type: "contact", inviter, allowRegistration: true });
  await core.registration.register({ token, username, password: "0987654321!?", door: "xmpp" });
}

describe("roster steps after a registration (XEP-0379)", () => {
  it("writes both sides with subscription both and marks them done", async () => {
    const core = setup();
    await registerThroughContact(core, "romeo@example.test", "juliet");
    expect(await core.runner.runDue()).toBe(2);
    expect(core.roster.items("romeo@example.test")).toEqual([{ jid: "juliet@example.test", groups: [] }]);
    expect(core.roster.items("juliet@example.test")).toEqual([{ jid: "romeo@example.test", groups: [] }]);
    expect((await core.queue.tasksFor("juliet@example.test")).every((t) => t.doneAt !== null)).toBe(true);
    expect(await core.runner.runDue()).toBe(0);
  });

  it("a failed step is retried with backoff until it succeeds; none is lost", async () => {
    const core = setup();
    await registerThroughContact(core, "romeo@example.test", "juliet");
    core.roster.failures = 3;
    expect(await core.runner.runDue()).toBe(0);
    const [first] = await core.queue.tasksFor("juliet@example.test");
    expect(first).toMatchObject({ attempts: 1, doneAt: null, lastError: "unavailable: simulated outage" });
    core.clock.advance(999);
    expect(await core.queue.due(core.clock.now(), 10)).toEqual([]);
    core.clock.advance(1);
    expect(await core.runner.runDue()).toBe(1); // the second failed again (attempt 2); the first made it
    core.clock.advance(60_000);
    expect(await core.runner.runDue()).toBe(1);
    expect(core.roster.items("romeo@example.test")).toHaveLength(1);
    expect(core.roster.items("juliet@example.test")).toHaveLength(1);
  });

  it("waits while the roster capability is unavailable, then catches up", async () => {
    const core = setup();
    core.roster.available = false;
    await registerThroughContact(core, "romeo@example.test", "juliet");
    expect(await core.runner.runDue()).toBe(0);
    expect(core.roster.calls).toBe(0);
    core.roster.available = true;
    expect(await core.runner.runDue()).toBe(2);
  });

  it("the registration is not rolled back when the roster step fails", async () => {
    const core = setup();
    core.roster.failures = 100;
    await registerThroughContact(core, "romeo@example.test", "juliet");
    await core.runner.runDue();
    expect(core.adapter.accounts.has("juliet")).toBe(true);
  });

  it("never puts the component or any non-user JID on a roster", async () => {
    const core = setup();
    await core.claims.consume("none", "none", { jid: "juliet@example.test", door: "xmpp", requester: null, action: "created" },
      { subscriptions: [{ a: "invites.example.test", b: "juliet@example.test", groups: [] }, { a: "juliet@example.test", b: "x@invites.example.test", groups: [] }], groups: [] }, core.clock.now());
    expect(await core.runner.runDue()).toBe(0);
    expect(core.roster.calls).toBe(0);
    expect((await core.queue.tasksFor("juliet@example.test")).every((t) => t.doneAt !== null)).toBe(true);
    expect(core.logs.text()).toContain("not a user of the domain");
  });
});
