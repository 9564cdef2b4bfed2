// Runs the real component wiring (middleware, iq callee, our handlers) with the socket faked:
// receive() injects a stanza as if the server routed it, nextSent() returns what the component sent.
import type { Element } from "ltx";
import type { ServerAdapter } from "../../src/invites/ports/server.js";
import { type App, type AppOverrides, createApp } from "../../src/app.js";
import { parseConfig } from "../../src/config/load.js";
import type { ConfigInput } from "../../src/config/schema.js";
import { createComponentConnection } from "../../src/xmpp/component.js";
import { FakeClock } from "./clock.js";
import { FakeAdapter, FakeRoster } from "./fake-adapter.js";
import { type CapturedLog, captureLog } from "./logger.js";

export const COMPONENT = "invites.example.test";
export const DOMAIN = "example.test";

export interface Harness {
  readonly app: App;
  readonly clock: FakeClock;
  readonly adapter: ServerAdapter;
  readonly roster: FakeRoster;
  readonly logs: CapturedLog;
  readonly sent: Element[];
  receive(stanza: Element): void;
  nextSent(timeoutMs?: number): Promise<Element>;
  /** Sends an IQ from `from` to the component and waits for the reply with the same id. */
  iq(type: "get" | "set", child: Element, from?: string, to?: string): Promise<Element>;
  close(): Promise<void>;
}

export function createHarness(config: Partial<ConfigInput> = {}, overrides: AppOverrides = {}): Harness {
  const logs = captureLog();
  const parsed = parseConfig({
    domain: DOMAIN,
    component: { service: "xmpp://127.0.0.1:5347", domain: COMPONENT, secret: "test-secret" },
    database: ":memory:",
    ...config,
  });
  const connection = createComponentConnection({ service: parsed.component.service, domain: COMPONENT, secret: "test-secret", log: logs.log });
  const { xmpp } = connection;
  // Pretend the handshake happened; nothing ever touches a socket.
  xmpp._jid(COMPONENT);
  xmpp.status = "online";
  xmpp.write = async () => undefined;

  const sent: Element[] = [];
  const waiters: Array<(el: Element) => void> = [];
  xmpp.on("send", (el: Element) => {
    const waiter = waiters.shift();
    if (waiter) waiter(el);
    else sent.push(el);
  });

  const clock = overrides.clock instanceof FakeClock ? overrides.clock : new FakeClock();
  const adapter = overrides.adapter ?? new FakeAdapter();
  const roster = overrides.roster instanceof FakeRoster ? overrides.roster : new FakeRoster();
  const app = createApp(parsed, logs.log, { ...overrides, clock, adapter, roster, connection });
  // Notices wait in the store until the sender passes them to the (fake) connection.
  app.outbox.start();
  let counter = 0;

  const nextSent = (timeoutMs = 2000) =>
    new Promise<Element>((resolve, reject) => {
      const queued = sent.shift();
      if (queued) return resolve(queued);
      const timer = setTimeout(() => reject(new Error("the component sent nothing")), timeoutMs);
      waiters.push((el) => {
        clearTimeout(timer);
        resolve(el);
      });
    });

  const receive = (el: Element) => {
    xmpp._onElement(el);
  };

  return {
    app, clock, adapter, roster, logs, sent, receive, nextSent,
    async iq(type, child, from = "x1@anon.example.test/res", to = COMPONENT) {
      const id = `t${++counter}`;
      const { xml } = await import("../../src/protocol/xml.js");
      receive(xml("iq", { type, id, from, to }, child));
      const reply = await nextSent();
      if (reply.attrs.id !== id) throw new Error(`reply id ${reply.attrs.id} does not match ${id}`);
      return reply;
    },
    async close() {
      await app.outbox.stop();
      await app.stores.close();
    },
  };
}
