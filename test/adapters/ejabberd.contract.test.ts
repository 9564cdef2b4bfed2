// The adapter contract on a real ejabberd (23.01 or 24.12): ejabberd-api (mod_http_api), xep0133 (from the
// component) and xep0133-account (from an admin account). Rosters go through the HTTP API, since
// 23.01's XEP-0356 roster set is broken (processone/ejabberd#3942).
import { afterAll, beforeAll } from "vitest";
import type { RosterWriter } from "../../src/invites/ports/roster.js";
import type { ServerAdapter } from "../../src/invites/ports/server.js";
import { createEjabberdApi } from "../../src/adapters/server/ejabberd-api.js";
import { createXep0133Adapter } from "../../src/adapters/server/xep0133.js";
import { createXep0133AccountAdapter } from "../../src/adapters/server/xep0133-account.js";
import { type EjabberdServer, startEjabberd } from "../../tools/demo/ejabberd.js";
import { type ComponentConnection, createComponentConnection } from "../../src/xmpp/component.js";
import { captureLog } from "../helpers/logger.js";
import { describeAdapterContract, stallingProxy } from "./contract.js";
import { describeXep0133RoundTrips } from "./xep0133-round-trips.js";

const log = captureLog("warn").log;
let server: EjabberdServer;
let connection: ComponentConnection;
let api: { adapter: ServerAdapter; roster: RosterWriter };
let account: ServerAdapter;
// The shared connections go through proxies, so the "slow server" case can silence them.
let componentProxy: Awaited<ReturnType<typeof stallingProxy>>;
let c2sProxy: Awaited<ReturnType<typeof stallingProxy>>;

const component = (service: string) =>
  createComponentConnection({ service, domain: "invites.example.test", secret: "x", log, backoff: { initialMs: 100, maxMs: 500 } });

beforeAll(async () => {
  server = await startEjabberd();
  await server.registerUser("admin", "pw-nimda-123456");
  api = createEjabberdApi({ url: server.apiUrl(), domain: server.domain, timeoutMs: 5000 });
  componentProxy = await stallingProxy(server.componentPort);
  c2sProxy = await stallingProxy(server.c2sPort);
  connection = createComponentConnection({ service: `xmpp://127.0.0.1:${componentProxy.port}`, domain: server.componentDomain, secret: server.componentSecret, log });
  await connection.start();
  account = createXep0133AccountAdapter({ jid: `admin@${server.domain}`, password: "pw-nimda-123456", service: `xmpp://127.0.0.1:${c2sProxy.port}`, domain: server.domain, timeoutMs: 5000, log });
  await account.start?.();
}, 90_000);

afterAll(async () => {
  await account?.stop?.();
  await connection?.stop();
  await componentProxy?.close();
  await c2sProxy?.close();
  await server?.stop();
}, 60_000);

/** The xep0133 adapter on a component connection to `port` that start() opens, as the app does. */
function componentAdapter(port: number): ServerAdapter {
  const unreachable = component(`xmpp://127.0.0.1:${port}`);
  return {
    ...createXep0133Adapter({ xmpp: unreachable, domain: "example.test", timeoutMs: 1000 }),
    async start() {
      // start() keeps retrying while the server is unreachable; give it its first refusal.
      void unreachable.start().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 500));
    },
    stop: () => unreachable.stop(),
  };
}

describeAdapterContract("ejabberd-api on ejabberd", {
  subject: () => ({ ...api, server }),
  unreachable: (port) => createEjabberdApi({ url: `http://127.0.0.1:${port}/api`, domain: "example.test", timeoutMs: 1000 }).adapter,
  slow: async () => {
    const proxy = await stallingProxy(server.httpPort);
    return {
      adapter: createEjabberdApi({ url: `http://127.0.0.1:${proxy.port}/api`, domain: server.domain, timeoutMs: 1000 }).adapter,
      stall: proxy.stall,
      resume: proxy.resume,
      close: proxy.close,
    };
  },
});

describeAdapterContract("xep0133 on ejabberd", {
  subject: () => ({ adapter: createXep0133Adapter({ xmpp: connection, domain: server.domain, timeoutMs: 5000 }), roster: api.roster, server }),
  unreachable: (port) => componentAdapter(port),
  slow: () => ({ adapter: createXep0133Adapter({ xmpp: connection, domain: server.domain, timeoutMs: 1000 }), stall: componentProxy.stall, resume: componentProxy.resume }),
});

describeAdapterContract("xep0133-account on ejabberd", {
  subject: () => ({ adapter: account, roster: api.roster, server }),
  unreachable: (port) => createXep0133AccountAdapter({ jid: "admin@example.test", password: "x", service: `xmpp://127.0.0.1:${port}`, domain: "example.test", timeoutMs: 1000, log }),
  slow: () => ({ adapter: account, stall: c2sProxy.stall, resume: c2sProxy.resume }),
});

describeXep0133RoundTrips("ejabberd", () => ({ connection, server }));
