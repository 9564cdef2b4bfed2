// How an invite looks in JSON, for the CLI's --json and the HTTP API alike (snake_case, like the config).
import { type Invite, inviteKind, inviteStatus } from "../domain/invite.js";
import type { TreeNode } from "../social/tree.js";

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

/** The invitation tree in JSON: each account with how it came in and the accounts it brought. */
export function treeJson(nodes: readonly TreeNode[]): Record<string, unknown>[] {
  return nodes.map((node) => ({
    jid: node.jid,
    invited_by: node.invitation?.inviter ?? null,
    kind: node.invitation === null ? null : node.invitation.kind === "account" ? "account" : "contact",
    invite_id: node.invitation?.inviteId ?? null,
    note: node.invitation?.note ?? null,
    at: node.invitation === null ? null : iso(node.invitation.at),
    invited: treeJson(node.children),
  }));
}
