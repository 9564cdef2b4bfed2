// The opt-in timing behind the benchmark's breakdown: off unless XMPP_INVITES_TIMING=1, and then
// one debug line per request with the parts of a registration, never a token or a password.
import { describe, expect, it } from "vitest";
import { InviteService } from "../../src/invites/service/invite-service.js";
import { RegistrationService } from "../../src/invites/registration/registration-service.js";
import { openSqliteStores } from "../../src/adapters/store/sqlite/index.js";
import { timingFromEnv } from "../../src/timing.js";
import { FakeAdapter } from "../helpers/fake-adapter.js";
import { FakeClock } from "../helpers/clock.js";
import { captureLog } from "../helpers/logger.js";

describe("timingFromEnv", () => {
  it("measures nothing unless XMPP_INVITES_TIMING=1", () => {
    const { log } = captureLog();
    expect(timingFromEnv(log, {})).toBeUndefined();
    expect(timingFromEnv(log, { XMPP_INVITES_TIMING: "0" })).toBeUndefined();
    expect(timingFromEnv(log, { XMPP_INVITES_TIMING: "1" })).toBeDefined();
  });

  it("reports each registration's parts at debug level, without its token or password", async () => {
    const logs = captureLog();
    const timing = timingFromEnv(logs.log, { XMPP_INVITES_TIMING: "1" });
    const stores = openSqliteStores(":memory:");
    const invites = new InviteService({ store: stores.invites, claims: stores.claims, clock: new FakeClock(), domain: "example.test", defaultExpiry: 86400 });
    const registration = new RegistrationService({
      invites, adapter: new FakeAdapter(), policy: { inviteOnly: true, allowRegistration: false }, log: logs.log, minPasswordLength: 10,
      ...(timing ? { timer: timing } : {}),
    });
    const { token } = await invites.create();
    await registration.register({ token, username: "alice", password: "correct horse battery", door: "web" });
    const line = logs.lines().find((entry) => entry["timing"] === "register:web");
    expect(line).toMatchObject({ level: 20 });
    for (const part of ["claimMs", "adapterMs", "consumeMs", "totalMs"]) expect(typeof line?.[part]).toBe("number");
    expect(JSON.stringify(logs.lines())).not.toContain(token);
    expect(JSON.stringify(logs.lines())).not.toContain("correct horse battery");
  });
});
