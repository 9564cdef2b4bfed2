// The invite vocabulary, shared by every door. Times are Unix milliseconds.

/**
 * account: registers a new account (optionally one fixed username, optionally into groups).
 * contact: XEP-0379 invite from a user; registers only when `allowRegistration` (`;ibr=y`).
 * reset:   sets a new password for one existing account; never creates one.
 */
export const INVITE_TYPES = ["account", "contact", "reset"] as const;
export type InviteType = (typeof INVITE_TYPES)[number];

export interface Invite {
  readonly id: string;
  readonly type: InviteType;
  /** The only localpart it may register (account) or whose password it resets (reset). */
  readonly username: string | null;
  /** Bare JID of the user the invite comes from; new accounts are subscribed with it (XEP-0379). */
  readonly inviter: string | null;
  /** Contact invites: whether the invitee may create an account with it. */
  readonly allowRegistration: boolean;
  /** New accounts join these groups: mutual subscriptions with every member, in a roster group of that name. */
  readonly groups: readonly string[];
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

/** What the list, the CLI and the API call an invite: its type, with group and contact+register told apart. */
export const INVITE_KINDS = ["account", "group", "contact", "contact+register", "reset"] as const;
export type InviteKind = (typeof INVITE_KINDS)[number];

export function inviteKind(invite: Pick<Invite, "type" | "allowRegistration" | "groups">): InviteKind {
  if (invite.type === "contact") return invite.allowRegistration ? "contact+register" : "contact";
  if (invite.type === "account" && invite.groups.length > 0) return "group";
  return invite.type;
}

/** Whether redeeming it creates an account. */
export function registersAccount(invite: Pick<Invite, "type" | "allowRegistration">): boolean {
  return invite.type === "account" || (invite.type === "contact" && invite.allowRegistration);
}

/** Why a token was refused. Users are told the same thing for all of them. */
export type TokenRefusal = "token-unknown" | "token-expired" | "token-revoked" | "token-used";

/** xmpp: XEP-0077 at the component; web: the form; api: HTTP; bridge: the server's own IBR through its bridge module. */
export type Door = "xmpp" | "web" | "api" | "bridge";

export interface Redemption {
  readonly inviteId: string | null;
  readonly jid: string;
  readonly door: Door;
  readonly requester: string | null;
  readonly at: number;
}
