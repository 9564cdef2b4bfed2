// Which server, which version, and what works there: the component asks (XEP-0092; ejabberd's API
// `status`) at every connection and the start log says it, as `check-config --probe` does, from
// one table (src/adapters/server/servers.ts). Run against the installed Prosody and ejabberd, whichever
// generation they are; the expectations follow the version the package reports.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { parseConfig } from "../../src/config/load.js";
import type { ConfigInput } from "../../src/config/schema.js";
import { compareVersions } from "../../src/adapters/server/servers.js";
import { type EjabberdServer, startEjabberd } from "../../tools/demo/ejabberd.js";
import { type ProsodyServer, startProsody } from "../../tools/demo/prosody.js";
import { upstreamVersion } from "../../tools/demo/versions.js";
import { captureLog } from "../helpers/logger.js";
import { until } from "../helpers/wait.js";

type Server = ProsodyServer | EjabberdServer;
/** check-config never connects to the database: any PostgreSQL URL says "instances may share it". */
const SHARED_DATABASE = "postgresql://xmpp_invites@127.0.0.1:9/xmpp_invites";

function configFor(server: Server, adapter: ConfigInput["adapter"]): ConfigInput {
  return {
    domain: server.domain,
    component: { service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret },
    database: ":memory:",
    adapter,
    // The portal's sign-in is checked on this server's client port.
    portal: { client_service: server.c2sService() },
  };
}

/** The start log's lines about the server, once the component is connected and has asked. */
async function startLog(server: Server, adapter: ConfigInput["adapter"], expectWarnings = false): Promise<Array<Record<string, unknown>>> {
  const logs = captureLog("info");
  const app = createApp(parseConfig(configFor(server, adapter)), logs.log);
  await app.start();
  try {
    const about = () => logs.lines().filter((line) => line["feature"] === "server");
    await until(() => about().some((line) => String(line["msg"]).startsWith("server: ")) && (!expectWarnings || about().some((line) => line["level"] === 40)), 15_000, "the server line in the start log");
    return about();
  } finally {
    await app.stop();
  }
}

/** `check-config --probe` as an operator runs it, before the service starts. */
function checkConfigProbe(config: ConfigInput): string {
  const dir = mkdtempSync(join(tmpdir(), "xmpp-invites-probe-"));
  try {
    const path = join(dir, "config.json");
    writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
    const result = spawnSync(process.execPath, ["--import", "tsx", resolve("src/cli/main.ts"), "check-config", "--probe", "--config", path], { encoding: "utf8" });
    expect(result.status).toBe(0);
    return result.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("Prosody: the start log and check-config --probe name it and say what works", () => {
  let server: ProsodyServer;
  let version: string;
  beforeAll(async () => {
    server = await startProsody();
    version = upstreamVersion(server.version);
  });
  afterAll(() => server?.stop());

  it("XEP-0092 from the component: Prosody and its version; accounts, resets, roster writes (XEP-0356) and the bridge work", async () => {
    const stdout = checkConfigProbe(configFor(server, { type: "xep0133" }));
    expect(stdout).toContain(`  server           Prosody ${version} (XEP-0092, tested): accounts and resets yes, XEP-0133 from the component`);
    expect(stdout).toContain("roster writes yes, XEP-0356");
    expect(stdout).toMatch(new RegExp(`  portal           sign-in with SCRAM-SHA-(1|256): ${server.c2sService()} offers [^\n]*SCRAM-SHA-1[^\n]* \\(TLS or loopback\\)`));
    expect(stdout).not.toContain("warning:");
    const lines = await startLog(server, { type: "xep0133" });
    expect(lines).toContainEqual(expect.objectContaining({
      server: "Prosody", version, tested: true, accounts: true, resets: true, roster_writes: true, bridge: true, source: "XEP-0092",
    }));
    expect(lines.filter((line) => line["level"] === 40)).toEqual([]);
  });

  it("on a PostgreSQL database: no word of ejabberd's domain_balancing (one instance connects, the others stand by)", () => {
    expect(checkConfigProbe({ ...configFor(server, { type: "xep0133" }), database: SHARED_DATABASE })).not.toContain("domain_balancing");
  });

  it("an adapter that does not belong to this server is named as such", async () => {
    const lines = await startLog(server, { type: "xep0133", roster: { type: "ejabberd-api", url: "http://127.0.0.1:9/api" } }, true);
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, msg: expect.stringContaining(`roster writes through ejabberd-api do not work on Prosody ${version}: use xep0356 or prosodyctl`) }));
  });
});

describe("Prosody without the component in admins: the probe says what to add", () => {
  let server: ProsodyServer;
  beforeAll(async () => {
    server = await startProsody({ componentAdmin: false });
  });
  afterAll(() => server?.stop());

  it("check-config --probe warns that XEP-0133 is refused and names the admins entry", () => {
    const stdout = checkConfigProbe(configFor(server, { type: "xep0133" }));
    expect(stdout).toMatch(new RegExp(`warning: ${server.domain} refuses XEP-0133 commands from ${server.componentDomain} \\(forbidden.*\\): Prosody: add "${server.componentDomain}" to admins`));
  });
});

describe("ejabberd: the start log and check-config --probe name it and say what works", () => {
  let server: EjabberdServer;
  let version: string;
  const adapter = (api: string): ConfigInput["adapter"] => ({ type: "xep0133", roster: { type: "ejabberd-api", url: api } });
  beforeAll(async () => {
    server = await startEjabberd();
    version = upstreamVersion(server.version);
  }, 90_000);
  afterAll(() => server?.stop(), 60_000);

  it("XEP-0092 (mod_version): ejabberd and its version; accounts and resets by XEP-0133, roster writes by the API, no bridge", async () => {
    const stdout = checkConfigProbe(configFor(server, adapter(server.apiUrl())));
    expect(stdout).toContain(`  server           ejabberd ${version} (XEP-0092, tested): accounts and resets yes, XEP-0133 from the component (the \`configure\` access rule)`);
    expect(stdout).toContain(`roster writes yes, add_rosteritem (API version ${compareVersions(version, "24.02") >= 0 ? "1: `groups`" : "0: `group`"})`);
    expect(stdout).toContain("bridge none");
    expect(stdout).toContain(`  portal           sign-in with SCRAM-SHA-256: ${server.c2sService()} offers `);
    expect(stdout).not.toContain("warning:");
    const lines = await startLog(server, adapter(server.apiUrl()));
    expect(lines).toContainEqual(expect.objectContaining({
      server: "ejabberd", version, tested: true, accounts: true, resets: true, roster_writes: true, bridge: false,
    }));
    expect(lines.filter((line) => line["level"] === 40)).toEqual([]);
  });

  it("on a PostgreSQL database (instances sharing it all connect at once) check-config --probe says what domain_balancing needs", () => {
    const stdout = checkConfigProbe({ ...configFor(server, adapter(server.apiUrl())), database: SHARED_DATABASE });
    expect(stdout).toContain(`warning: instances sharing this database all connect to ejabberd at once: its domain_balancing for ${server.componentDomain} needs component_number equal to the number of instances`);
  });
});

describe("ejabberd with mod_privilege loaded", () => {
  let server: EjabberdServer;
  let version: string;
  beforeAll(async () => {
    server = await startEjabberd({ privilege: true });
    version = upstreamVersion(server.version);
  }, 90_000);
  afterAll(() => server?.stop(), 60_000);

  it("24.10 to 25.02 drop the component's IQs: check-config --probe says so and names the fix; elsewhere XEP-0133 answers", () => {
    const stdout = checkConfigProbe({ ...configFor(server, { type: "xep0133", timeout: 2, roster: { type: "ejabberd-api", url: server.apiUrl() } }) });
    const drops = compareVersions(version, "24.10") >= 0 && compareVersions(version, "25.03") < 0;
    if (drops) {
      // The version comes from the HTTP API, since XEP-0092 gets no answer either.
      expect(stdout).toContain(`  server           ejabberd ${version} (ejabberd API status, tested)`);
      expect(stdout).toContain(`warning: ${server.domain} did not answer the component's XEP-0092 version query (no answer within 2 s): ejabberd ${version} drops every IQ a component sends while mod_privilege is loaded: remove mod_privilege`);
    } else {
      expect(stdout).toContain(`  server           ejabberd ${version} (XEP-0092, tested)`);
      expect(stdout).not.toContain("warning:");
    }
  }, 30_000);
});
