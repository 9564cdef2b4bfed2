// The invite vocabulary, shared by every door. Times are Unix milliseconds.

export const INVITE_TYPES = ["account"] as const;
export type InviteType = (typeof INVITE_TYPES)[number];

export interface Invite {
  readonly id: string;
  readonly type: InviteType;
  /** Set when the invite may register only this localpart. */
  readonly username: string | null;
  /** Bare JID of the user the invite comes from, when it comes from a user. */
  readonly inviter: string | null;
  /** Where it was created: "cli", an admin's JID, "api:<key id>", … */
  readonly source: string | null;
  readonly note: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly maxUses: number;
  readonly uses: number;
  /** Redemptions in flight: claimed, account not yet confirmed. */
  readonly pending: number;
  readonly revokedAt: number | null;
}

export type InviteStatus = "active" | "expired" | "revoked" | "used";

export function inviteStatus(invite: Invite, now: number): InviteStatus {
  if (invite.revokedAt !== null) return "revoked";
  if (invite.uses >= invite.maxUses) return "used";
  if (invite.expiresAt <= now) return "expired";
  return "active";
}

/** Why a token was refused. Users are told the same thing for all of them. */
export type TokenRefusal = "token-unknown" | "token-expired" | "token-revoked" | "token-used";

export type Door = "xmpp" | "web" | "api";

export interface Redemption {
  readonly inviteId: string | null;
  readonly jid: string;
  readonly door: Door;
  readonly requester: string | null;
  readonly at: number;
}
