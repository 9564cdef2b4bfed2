import { RegistrationService, type RegistrationPolicy } from "../../src/invites/registration/registration-service.js";
import { InviteService } from "../../src/invites/service/invite-service.js";
import { openSqliteStores } from "../../src/adapters/store/sqlite/index.js";
import { FakeClock } from "./clock.js";
import { FakeAdapter } from "./fake-adapter.js";
import { captureLog } from "./logger.js";

export const DOMAIN = "example.test";

/** The domain core over an in-memory database, a fake clock and a fake adapter. */
export function makeCore(policy: RegistrationPolicy = { inviteOnly: true, allowRegistration: false }) {
  const clock = new FakeClock();
  const stores = openSqliteStores(":memory:");
  const { db, invites: store, claims, rosterQueue: queue } = stores;
  const invites = new InviteService({ store, claims, clock, domain: DOMAIN, defaultExpiry: 7 * 86400 });
  const adapter = new FakeAdapter();
  const logs = captureLog();
  const registration = new RegistrationService({ invites, adapter, policy, log: logs.log, minPasswordLength: 10 });
  return { clock, db, stores, store, claims, queue, invites, adapter, logs, registration };
}
