// The tables' rows as both database engines return them, and their mapping to the core's records:
// one definition for SQLite and PostgreSQL (SQLite answers booleans as 0/1, PostgreSQL as booleans).
import type { Door, Invite, InviteType } from "../../invites/domain/invite.js";
import type { AccountRequest, ApiKey, Invitation, InvitationKind, PendingClaim, RosterTask, StoredRequest } from "../../invites/ports/store.js";

const flag = (value: number | boolean): boolean => value === true || value === 1;

export interface InviteRow {
  id: string;
  type: string;
  username: string | null;
  inviter: string | null;
  source: string | null;
  note: string | null;
  created_at: number;
  expires_at: number;
  max_uses: number;
  uses: number;
  pending: number;
  revoked_at: number | null;
  allow_registration: number | boolean;
  groups: string;
}

export const INVITE_COLUMNS = "id, type, username, inviter, source, note, created_at, expires_at, max_uses, uses, pending, revoked_at, allow_registration, groups";

export const toInvite = (row: InviteRow): Invite => ({
  id: row.id,
  type: row.type as InviteType,
  username: row.username,
  inviter: row.inviter,
  allowRegistration: flag(row.allow_registration),
  groups: JSON.parse(row.groups) as string[],
  source: row.source,
  note: row.note,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  maxUses: row.max_uses,
  uses: row.uses,
  pending: row.pending,
  revokedAt: row.revoked_at,
});

export interface PendingClaimRow {
  id: string;
  invite_id: string;
  username: string | null;
  door: string | null;
  requester: string | null;
  claimed_at: number;
  checks: number;
  holder: string | null;
}

export const PENDING_CLAIM_COLUMNS = "id, invite_id, username, door, requester, claimed_at, checks, holder";

export const toPendingClaim = (row: PendingClaimRow): PendingClaim => ({
  id: row.id,
  inviteId: row.invite_id,
  username: row.username,
  door: row.door as Door | null,
  requester: row.requester,
  claimedAt: row.claimed_at,
  checks: row.checks,
  holder: row.holder,
});

export interface TaskRow {
  id: number;
  owner: string;
  contact: string;
  groups: string;
  attempts: number;
  next_at: number;
  last_error: string | null;
  done_at: number | null;
}

export const TASK_COLUMNS = "id, owner, contact, groups, attempts, next_at, last_error, done_at";

export const toTask = (row: TaskRow): RosterTask => ({
  id: row.id,
  owner: row.owner,
  contact: row.contact,
  groups: JSON.parse(row.groups) as string[],
  attempts: row.attempts,
  nextAt: row.next_at,
  lastError: row.last_error,
  doneAt: row.done_at,
});

export interface InvitationRow {
  inviter: string;
  invitee: string;
  kind: string;
  invite_id: string | null;
  note: string | null;
  at: number;
}

export const INVITATION_COLUMNS = "inviter, invitee, kind, invite_id, note, at";

export const toInvitation = (row: InvitationRow): Invitation => ({
  inviter: row.inviter,
  invitee: row.invitee,
  kind: row.kind as InvitationKind,
  inviteId: row.invite_id,
  note: row.note,
  at: row.at,
});

export interface ApiKeyRow {
  id: string;
  name: string;
  secret_hash: Buffer;
  read_only: number | boolean;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export const API_KEY_COLUMNS = "id, name, secret_hash, read_only, created_at, last_used_at, revoked_at";

export const toApiKey = (row: ApiKeyRow): ApiKey => ({
  id: row.id,
  name: row.name,
  readOnly: flag(row.read_only),
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
});

export interface AccountRequestRow {
  id: string;
  username: string;
  message: string | null;
  status: string;
  created_at: number;
  expires_at: number;
  decided_at: number | null;
  decided_by: string | null;
  invite_id: string | null;
  sealing_key: Buffer;
  sealed_token: Buffer | null;
}

export const ACCOUNT_REQUEST_COLUMNS = "id, username, message, status, created_at, expires_at, decided_at, decided_by, invite_id, sealing_key, sealed_token";

export const toStoredRequest = (row: AccountRequestRow): StoredRequest => ({
  id: row.id,
  username: row.username,
  message: row.message,
  status: row.status === "approved" || row.status === "denied" ? row.status : "pending",
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  decidedAt: row.decided_at,
  decidedBy: row.decided_by,
  inviteId: row.invite_id,
  sealingKey: row.sealing_key,
  sealedToken: row.sealed_token,
});

/** A request as the edges see it: without its sealing key and sealed token. */
export const toAccountRequest = (row: AccountRequestRow): AccountRequest => {
  const { sealingKey: _key, sealedToken: _sealed, ...request } = toStoredRequest(row);
  return request;
};
