// The component (its own OS process) killed with SIGKILL while registrations are in flight on a real
// ejabberd with the bridge module (ejabberd/mod_xmpp_invites.erl): at the app path (the server's own
// registration), the XMPP door, the API and the web form. After the restart the module's retried
// consume/release and the component's settlement must leave nothing doubled and nothing unrecorded.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildEjabberdModule } from "../../src/cli/ejabberd-module.js";
import { type EjabberdServer, startEjabberd } from "../../tools/demo/ejabberd.js";
import {
  type Attempt, type ComponentProcess, audit, createInvites, fire, openClaims, rawClient, retryFailed, startComponent, until,
  writeComponentConfig,
} from "./support.js";

let server: EjabberdServer;
let buildDir: string;
let configPath: string;
let databasePath: string;
let component: ComponentProcess | undefined;
const PASSWORD = "pw-fault-suite-1";

beforeAll(async () => {
  buildDir = mkdtempSync(join(tmpdir(), "xmpp-invites-ejabberd-module-"));
  const { beam } = await buildEjabberdModule({ out: buildDir });
  server = await startEjabberd({ beams: [beam], extraModules: "  mod_xmpp_invites:\n    component: invites.example.test\n    timeout: 3" });
  configPath = join(buildDir, "config.json");
  databasePath = join(buildDir, "invites.sqlite");
  writeComponentConfig(server, configPath, databasePath, { adapter: { type: "ejabberd-api", url: server.apiUrl(), timeout: 2 } });
}, 120_000);

afterEach(async () => {
  await component?.kill("SIGTERM");
  component = undefined;
});

afterAll(async () => {
  await server?.stop();
  rmSync(buildDir, { recursive: true, force: true });
}, 60_000);

/** The accounts ejabberd has, by its HTTP API. */
async function accounts(): Promise<Set<string>> {
  const response = await fetch(`${server.apiUrl()}/registered_users`, { method: "POST", body: JSON.stringify({ host: server.domain }) });
  return new Set(((await response.json()) as string[]).map((jid) => jid.split("@")[0] ?? jid));
}

describe("faults on a real ejabberd with the bridge module", () => {
  it("kill -9 with registrations in flight at the app path and every door, then restart: nothing lost, nothing doubled", async () => {
    const doors: Array<Attempt["door"]> = ["app", "xmpp", "app", "api", "app", "web", "app", "app"];
    const single = await createInvites(server, databasePath, 120);
    const shared = await createInvites(server, databasePath, 1, 3); // 9 attempts race for 3 uses
    const attempts: Attempt[] = [
      ...single.map((invite, i) => ({ token: invite.token, inviteId: invite.id, username: `k${i}`, door: doors[i % doors.length] ?? "app" })),
      ...Array.from({ length: 9 }, (_, k) => ({ token: shared[0]?.token ?? "", inviteId: shared[0]?.id ?? "", username: `ks${k}`, door: doors[k % doors.length] ?? "app" })),
    ];
    component = await startComponent(configPath);
    const clients = await Promise.all(Array.from({ length: 4 }, () => rawClient(server)));
    // Every door at once, the app path in most of them, so the kill finds app registrations at every
    // step: claimed but not answered, answered but not yet counted.
    const load = fire(attempts, { server, clients, httpUrl: component.httpUrl, password: PASSWORD, replyMs: 15_000 });
    // Looked at every millisecond: on a quiet machine ejabberd finishes most of the load within 100 ms.
    await until(() => attempts.some((a) => a.outcome?.ok), 20_000, "registrations under way", 1);
    const inFlight = attempts.filter((a) => a.outcome === undefined);
    await component.kill("SIGKILL");
    const openAtKill = openClaims(databasePath);
    await load;
    for (const client of clients) client.close();

    component = await startComponent(configPath);
    // The module retries its reports (5 s, then 10 s…); the component settles what it can ask about.
    await until(() => openClaims(databasePath) === 0, 60_000, "settlement of every open claim");
    const made = await accounts();
    // Tokens whose attempt made no account work again (the shared invite's uses may all be spent).
    const retries = await retryFailed(made, attempts, component.httpUrl, "kr", PASSWORD, new Set(shared.map((s) => s.id)));
    const figures = audit(await accounts(), databasePath, [...attempts, ...retries]);
    console.log("ejabberd kill -9:", JSON.stringify({
      attempts: attempts.length, inFlightAtKill: inFlight.length, openAtKill, appInFlight: inFlight.filter((a) => a.door === "app").length,
      ok: attempts.filter((a) => a.outcome?.ok).length, retried: retries.length, retriesOk: retries.filter((r) => r.outcome?.ok).length,
      accounts: figures.accounts, recordedUses: figures.recordedUses, openClaims: figures.openClaims, violations: figures.violations,
    }));
    expect(inFlight.filter((a) => a.door === "app").length).toBeGreaterThan(0);
    expect(figures.violations).toEqual([]);
    expect(figures.openClaims).toBe(0);
    expect(retries.every((r) => r.outcome?.ok)).toBe(true);
  }, 150_000);
});
