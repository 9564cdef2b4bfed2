// The adapter contract on a real Prosody (0.12 or 13): xep0133 (from the component), xep0133-account
// (from an admin account) and prosodyctl (admin shell), with their roster capabilities.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import type { RosterWriter } from "../../src/invites/ports/roster.js";
import type { ServerAdapter } from "../../src/invites/ports/server.js";
import { createProsodyctl } from "../../src/adapters/server/prosodyctl.js";
import { createXep0133Adapter } from "../../src/adapters/server/xep0133.js";
import { createXep0133AccountAdapter } from "../../src/adapters/server/xep0133-account.js";
import { type ProsodyServer, startProsody } from "../../tools/demo/prosody.js";
import { type ComponentConnection, createComponentConnection } from "../../src/xmpp/component.js";
import { createXep0356RosterWriter } from "../../src/adapters/roster/xep0356-privilege.js";
import { captureLog } from "../helpers/logger.js";
import { describeAdapterContract, stallingProxy } from "./contract.js";
import { describeXep0133RoundTrips } from "./xep0133-round-trips.js";

const log = captureLog("warn").log;
// Folders made for the stopped-server and slow-prosodyctl cases; removed when the file is done.
const scratch: string[] = [];
const scratchDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});
let server: ProsodyServer;
let connection: ComponentConnection;
let privileged: RosterWriter;
let account: ServerAdapter;
// The shared connections go through proxies, so the "slow server" case can silence them.
let componentProxy: Awaited<ReturnType<typeof stallingProxy>>;
let c2sProxy: Awaited<ReturnType<typeof stallingProxy>>;

const component = (service: string) =>
  createComponentConnection({ service, domain: "invites.example.test", secret: "wrong-or-right", log, backoff: { initialMs: 100, maxMs: 500 } });

beforeAll(async () => {
  server = await startProsody();
  await server.registerUser("admin", "pw-nimda-123456");
  componentProxy = await stallingProxy(server.componentPort);
  c2sProxy = await stallingProxy(server.c2sPort);
  connection = createComponentConnection({ service: `xmpp://127.0.0.1:${componentProxy.port}`, domain: server.componentDomain, secret: server.componentSecret, log });
  privileged = createXep0356RosterWriter({ connection, domain: server.domain, componentDomain: server.componentDomain, log, timeoutMs: 5000 });
  await connection.start();
  account = createXep0133AccountAdapter({ jid: "admin@example.test", password: "pw-nimda-123456", service: `xmpp://127.0.0.1:${c2sProxy.port}`, domain: server.domain, timeoutMs: 5000, log });
  await account.start?.();
});

afterAll(async () => {
  await account?.stop?.();
  await connection?.stop();
  await componentProxy?.close();
  await c2sProxy?.close();
  await server?.stop();
});

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

describeAdapterContract("xep0133 on Prosody", {
  subject: () => ({ adapter: createXep0133Adapter({ xmpp: connection, domain: server.domain, timeoutMs: 5000 }), roster: privileged, server }),
  unreachable: (port) => componentAdapter(port),
  slow: () => ({ adapter: createXep0133Adapter({ xmpp: connection, domain: server.domain, timeoutMs: 1000 }), stall: componentProxy.stall, resume: componentProxy.resume }),
});

describeAdapterContract("xep0133-account on Prosody", {
  subject: () => ({ adapter: account, roster: privileged, server }),
  unreachable: (port) => createXep0133AccountAdapter({ jid: "admin@example.test", password: "x", service: `xmpp://127.0.0.1:${port}`, domain: "example.test", timeoutMs: 1000, log }),
  slow: () => ({ adapter: account, stall: c2sProxy.stall, resume: c2sProxy.resume }),
});

describeAdapterContract("prosodyctl on Prosody", {
  subject: () => {
    const { adapter, roster } = createProsodyctl({ config: server.configPath, command: "prosodyctl", domain: server.domain, timeoutMs: 10_000 });
    return { adapter, roster, server };
  },
  unreachable: () => {
    // A config whose admin socket nobody listens on: a Prosody that is not running.
    const dir = scratchDir("xmpp-invites-stopped-");
    writeFileSync(join(dir, "prosody.cfg.lua"), `data_path = ${JSON.stringify(dir)}\nrun_as_root = true\nlog = { }\nVirtualHost "example.test"\n`);
    return createProsodyctl({ config: join(dir, "prosody.cfg.lua"), command: "prosodyctl", domain: "example.test", timeoutMs: 5000 }).adapter;
  },
  slow: () => {
    // prosodyctl itself until the flag file exists, then a shell that never answers.
    const dir = scratchDir("xmpp-invites-slow-");
    const script = join(dir, "prosodyctl");
    const flag = join(dir, "stalled");
    writeFileSync(script, `#!/bin/sh\nif [ -e ${JSON.stringify(flag)} ]; then exec sleep 30; fi\nexec prosodyctl "$@"\n`);
    chmodSync(script, 0o755);
    return {
      adapter: createProsodyctl({ config: server.configPath, command: script, domain: server.domain, timeoutMs: 3000 }).adapter,
      stall: () => writeFileSync(flag, ""),
      resume: () => rmSync(flag, { force: true }),
      close: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
});

describeXep0133RoundTrips("Prosody", () => ({ connection, server }));
