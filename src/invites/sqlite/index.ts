// Everything kept in the SQLite file, opened together on one connection.
import { AccountRequestStore } from "./account-request-store.js";
import { ApiKeyStore } from "./api-key-store.js";
import { ClaimStore } from "./claim-store.js";
import { type Db, openDatabase } from "./database.js";
import { InvitationStore } from "./invitation-store.js";
import { InviteStore } from "./invite-store.js";
import { RosterQueue } from "./roster-queue.js";
import { StatsStore } from "./stats-store.js";

export interface Stores {
  readonly db: Db;
  readonly invites: InviteStore;
  readonly claims: ClaimStore;
  readonly rosterQueue: RosterQueue;
  readonly apiKeys: ApiKeyStore;
  readonly stats: StatsStore;
  /** Who invited whom, and contact invites accepted by existing accounts. */
  readonly invitations: InvitationStore;
  readonly accountRequests: AccountRequestStore;
}

/** Opens (creating and migrating) the database at `path` (":memory:" for tests). */
export function openStores(path: string): Stores {
  const db = openDatabase(path);
  const rosterQueue = new RosterQueue(db);
  return { db, invites: new InviteStore(db), claims: new ClaimStore(db, rosterQueue), rosterQueue, apiKeys: new ApiKeyStore(db), stats: new StatsStore(db), invitations: new InvitationStore(db, rosterQueue), accountRequests: new AccountRequestStore(db) };
}
