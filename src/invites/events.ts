import type { Door, Invite } from "./invite.js";

/** What the domain reports as it works; metrics listen here, the domain knows nothing of them. */
export interface InviteEvents {
  created?(invite: Invite): void;
  /** A registration or reset finished; `invite` is null for open registration. */
  registered?(door: Door, action: "created" | "password-reset", invite: Invite | null): void;
  /** A redemption was refused; `reason` is an error code or a token refusal. */
  refused?(door: Door, reason: string): void;
}
