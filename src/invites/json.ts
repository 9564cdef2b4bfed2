// How an invite looks in JSON, for the CLI's --json and the HTTP API alike (snake_case, like the config).
import { type Invite, inviteKind, inviteStatus } from "./invite.js";

/** XEP-0082 DateTime in UTC, without fractions. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function inviteJson(invite: Invite, now: number): Record<string, unknown> {
  return {
    id: invite.id,
    type: invite.type,
    kind: inviteKind(invite),
    status: inviteStatus(invite, now),
    username: invite.username,
    inviter: invite.inviter,
    allow_registration: invite.type === "contact" ? invite.allowRegistration : invite.type === "account",
    groups: invite.groups,
    source: invite.source,
    note: invite.note,
    created: iso(invite.createdAt),
    expires: iso(invite.expiresAt),
    max_uses: invite.maxUses,
    uses: invite.uses,
    revoked: invite.revokedAt === null ? null : iso(invite.revokedAt),
  };
}
