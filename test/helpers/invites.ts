import { RegistrationService, type RegistrationPolicy } from "../../src/invites/registration.js";
import { InviteService } from "../../src/invites/service.js";
import { InviteStore } from "../../src/invites/store.js";
import { openDatabase } from "../../src/invites/database.js";
import { FakeClock } from "./clock.js";
import { FakeAdapter } from "./fake-adapter.js";
import { captureLog } from "./logger.js";

export const DOMAIN = "example.test";

/** The domain core over an in-memory database, a fake clock and a fake adapter. */
export function makeCore(policy: RegistrationPolicy = { inviteOnly: true, allowRegistration: false }) {
  const clock = new FakeClock();
  const db = openDatabase(":memory:");
  const store = new InviteStore(db);
  const invites = new InviteService({ store, clock, domain: DOMAIN, defaultExpiry: 7 * 86400 });
  const adapter = new FakeAdapter();
  const logs = captureLog();
  const registration = new RegistrationService({ invites, adapter, policy, log: logs.log, minPasswordLength: 10 });
  return { clock, db, store, invites, adapter, logs, registration };
}
