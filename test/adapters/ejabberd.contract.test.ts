// The adapter contract on a real ejabberd 23.01: ejabberd-api (mod_http_api), xep0133 (from the
// component) and xep0133-account (from an admin account). Rosters go through the HTTP API, since
// 23.01's XEP-0356 roster set is broken (processone/ejabberd#3942).
import { afterAll, beforeAll } from "vitest";
import type { RosterWriter, ServerAdapter } from "../../src/invites/ports.js";
import { createEjabberdApi } from "../../src/adapters/ejabberd-api.js";
import { createXep0133Adapter } from "../../src/adapters/xep0133.js";
import { createXep0133AccountAdapter } from "../../src/adapters/xep0133-account.js";
import { type EjabberdServer, startEjabberd } from "../../tools/demo/ejabberd.js";
import { type ComponentConnection, createComponentConnection } from "../../src/xmpp/component.js";
import { captureLog } from "../helpers/logger.js";
import { describeAdapterContract } from "./contract.js";
import { describeXep0133RoundTrips } from "./xep0133-round-trips.js";

const log = captureLog("warn").log;
let server: EjabberdServer;
let connection: ComponentConnection;
let api: { adapter: ServerAdapter; roster: RosterWriter };
let account: ServerAdapter;
const started: ServerAdapter[] = [];

const component = (service: string) =>
  createComponentConnection({ service, domain: "invites.example.test", secret: "x", log, backoff: { initialMs: 100, maxMs: 500 } });

beforeAll(async () => {
  server = await startEjabberd();
  await server.registerUser("admin", "pw-nimda-123456");
  api = createEjabberdApi({ url: server.apiUrl(), domain: server.domain, timeoutMs: 5000 });
  connection = createComponentConnection({ service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret, log });
  await connection.start();
  account = createXep0133AccountAdapter({ jid: `admin@${server.domain}`, password: "pw-nimda-123456", service: server.c2sService(), domain: server.domain, timeoutMs: 5000, log });
  await account.start?.();
}, 90_000);

afterAll(async () => {
  for (const adapter of [account, ...started]) await adapter?.stop?.();
  await connection?.stop();
  await server?.stop();
}, 60_000);

async function begun(adapter: ServerAdapter): Promise<ServerAdapter> {
  started.push(adapter);
  await adapter.start?.();
  return adapter;
}

describeAdapterContract("ejabberd-api on ejabberd", {
  subject: () => ({ ...api, server }),
  unreachable: (port) => createEjabberdApi({ url: `http://127.0.0.1:${port}/api`, domain: "example.test", timeoutMs: 1000 }).adapter,
  slow: (port) => createEjabberdApi({ url: `http://127.0.0.1:${port}/api`, domain: "example.test", timeoutMs: 1000 }).adapter,
});

describeAdapterContract("xep0133 on ejabberd", {
  subject: () => ({ adapter: createXep0133Adapter({ xmpp: connection, domain: server.domain, timeoutMs: 5000 }), roster: api.roster, server }),
  unreachable: (port) => createXep0133Adapter({ xmpp: component(`xmpp://127.0.0.1:${port}`), domain: "example.test", timeoutMs: 1000 }),
  slow: (port) => {
    const silent = component(`xmpp://127.0.0.1:${port}`);
    void silent.start().catch(() => undefined);
    return { ...createXep0133Adapter({ xmpp: silent, domain: "example.test", timeoutMs: 1000 }), stop: async () => silent.xmpp.reconnect.stop() };
  },
});

describeAdapterContract("xep0133-account on ejabberd", {
  subject: () => ({ adapter: account, roster: api.roster, server }),
  unreachable: (port) => begun(createXep0133AccountAdapter({ jid: "admin@example.test", password: "x", service: `xmpp://127.0.0.1:${port}`, domain: "example.test", timeoutMs: 1000, log })),
  slow: (port) => begun(createXep0133AccountAdapter({ jid: "admin@example.test", password: "x", service: `xmpp://127.0.0.1:${port}`, domain: "example.test", timeoutMs: 1000, log })),
});

describeXep0133RoundTrips("ejabberd", () => ({ connection, server }));
