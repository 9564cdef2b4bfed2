// The component's messages wait in the store until an instance with the XMPP link sends them:
// nothing while offline, each once when online, a failed send put back and retried.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openSqliteStores } from "../../../src/adapters/store/sqlite/index.js";
import { OutboxSender } from "../../../src/invites/social/outbox.js";
import type { OutboxMessage } from "../../../src/invites/ports/store.js";
import { FakeClock } from "../../helpers/clock.js";
import { captureLog } from "../../helpers/logger.js";

function setup(path = ":memory:") {
  const stores = openSqliteStores(path);
  const clock = new FakeClock();
  const sent: OutboxMessage[] = [];
  const state = { online: false, failing: false };
  const sender = new OutboxSender({
    outbox: stores.outbox,
    send: async (message) => {
      if (state.failing) throw new Error("not connected");
      sent.push(message);
    },
    isOnline: () => state.online,
    clock,
    log: captureLog().log,
  });
  return { stores, clock, sent, state, sender };
}

describe("OutboxSender", () => {
  it("queues while offline, sends each message once when online, puts a failed send back for later", async () => {
    const { stores, clock, sent, state, sender } = setup();
    try {
      sender.start();
      await sender.notifier().notify("romeo@example.test", "juliet joined");
      expect(await sender.runDue()).toBe(0);
      expect(sent).toEqual([]);
      state.online = true;
      expect(await sender.runDue()).toBe(1);
      expect(await sender.runDue()).toBe(0);
      expect(sent.map((m) => [m.to, m.body])).toEqual([["romeo@example.test", "juliet joined"]]);

      state.failing = true;
      await stores.outbox.enqueue("admin@example.test", "a request", clock.now());
      expect(await sender.runDue()).toBe(0);
      expect(await stores.outbox.due(clock.now(), 10)).toEqual([]);
      state.failing = false;
      clock.advance(5000);
      expect(await sender.runDue()).toBe(1);
      expect(sent.map((m) => m.body)).toEqual(["juliet joined", "a request"]);
    } finally {
      await sender.stop();
      await stores.close();
    }
  });

  it("two instances on one database sending at once: each message is sent once, by one of them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xmpp-invites-outbox-"));
    const [a, b] = [setup(join(dir, "db.sqlite")), setup(join(dir, "db.sqlite"))];
    try {
      for (const [sender, state] of [[a.sender, a.state], [b.sender, b.state]] as const) {
        state.online = true;
        sender.start();
      }
      for (let i = 0; i < 20; i++) await a.stores.outbox.enqueue(`user${i}@example.test`, `notice ${i}`, a.clock.now());
      await Promise.all([a.sender.runDue(), b.sender.runDue(), a.sender.runDue(), b.sender.runDue()]);
      const bodies = [...a.sent, ...b.sent].map((m) => m.body).sort();
      expect(bodies).toEqual(Array.from({ length: 20 }, (_, i) => `notice ${i}`).sort());
    } finally {
      for (const { sender, stores } of [a, b]) {
        await sender.stop();
        await stores.close();
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
