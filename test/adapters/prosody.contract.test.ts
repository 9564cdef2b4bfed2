// The adapter contract on a real Prosody 0.12: xep0133 (from the component), xep0133-account
// (from an admin account) and prosodyctl (admin shell), with their roster capabilities.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import type { RosterWriter, ServerAdapter } from "../../src/invites/ports.js";
import { createProsodyctl } from "../../src/adapters/prosodyctl.js";
import { createXep0133Adapter } from "../../src/adapters/xep0133.js";
import { createXep0133AccountAdapter } from "../../src/adapters/xep0133-account.js";
import { type ProsodyServer, startProsody } from "../../tools/demo/prosody.js";
import { type ComponentConnection, createComponentConnection } from "../../src/xmpp/component.js";
import { createPrivilegedRoster } from "../../src/xmpp/xep0356-privilege.js";
import { captureLog } from "../helpers/logger.js";
import { describeAdapterContract } from "./contract.js";
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
const started: ServerAdapter[] = [];

const component = (service: string) =>
  createComponentConnection({ service, domain: "invites.example.test", secret: "wrong-or-right", log, backoff: { initialMs: 100, maxMs: 500 } });

beforeAll(async () => {
  server = await startProsody();
  await server.registerUser("admin", "pw-nimda-123456");
  connection = createComponentConnection({ service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret, log });
  privileged = createPrivilegedRoster({ connection, domain: server.domain, componentDomain: server.componentDomain, log, timeoutMs: 5000 });
  await connection.start();
  account = createXep0133AccountAdapter({ jid: "admin@example.test", password: "pw-nimda-123456", service: server.c2sService(), domain: server.domain, timeoutMs: 5000, log });
  await account.start?.();
});

afterAll(async () => {
  for (const adapter of [account, ...started]) await adapter?.stop?.();
  await connection?.stop();
  await server?.stop();
});

async function begun(adapter: ServerAdapter): Promise<ServerAdapter> {
  started.push(adapter);
  await adapter.start?.();
  return adapter;
}

describeAdapterContract("xep0133 on Prosody", {
  subject: () => ({ adapter: createXep0133Adapter({ xmpp: connection, domain: server.domain, timeoutMs: 5000 }), roster: privileged, server }),
  unreachable: (port) => createXep0133Adapter({ xmpp: component(`xmpp://127.0.0.1:${port}`), domain: "example.test", timeoutMs: 1000 }),
  slow: (port) => {
    // The handshake never completes; stopping mid-handshake trips @xmpp/connection, so only
    // reconnection is switched off and the silent server's close ends the socket.
    const silent = component(`xmpp://127.0.0.1:${port}`);
    void silent.start().catch(() => undefined);
    return { ...createXep0133Adapter({ xmpp: silent, domain: "example.test", timeoutMs: 1000 }), stop: async () => silent.xmpp.reconnect.stop() };
  },
});

describeAdapterContract("xep0133-account on Prosody", {
  subject: () => ({ adapter: account, roster: privileged, server }),
  unreachable: (port) => begun(createXep0133AccountAdapter({ jid: "admin@example.test", password: "x", service: `xmpp://127.0.0.1:${port}`, domain: "example.test", timeoutMs: 1000, log })),
  slow: (port) => begun(createXep0133AccountAdapter({ jid: "admin@example.test", password: "x", service: `xmpp://127.0.0.1:${port}`, domain: "example.test", timeoutMs: 1000, log })),
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
    const dir = scratchDir("xmpp-invites-slow-");
    const script = join(dir, "prosodyctl");
    writeFileSync(script, "#!/bin/sh\nexec sleep 30\n"); // exec: the timeout's kill reaches the sleep itself
    chmodSync(script, 0o755);
    return createProsodyctl({ config: server.configPath, command: script, domain: "example.test", timeoutMs: 1000 }).adapter;
  },
});

describeXep0133RoundTrips("Prosody", () => ({ connection, server }));
