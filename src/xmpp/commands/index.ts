// The ad-hoc commands on the component JID. XEP-0401 node names where the XEP has them, Prosody
// 13's for password reset, and this project's own for listing and revoking.
import type { InviteService } from "../../invites/service.js";
import type { AdhocCommand } from "../xep0050-commands.js";
import { createAccountInvite } from "./create-account-invite.js";
import { createContactInvite } from "./create-contact-invite.js";
import { listInvites } from "./list-invites.js";
import { passwordResetInvite } from "./password-reset-invite.js";
import { revokeInvite } from "./revoke-invite.js";

export interface CommandDeps {
  readonly invites: InviteService;
  readonly domain: string;
  /** `allow_contact_invites`: local users may create contact invites (else admins only). */
  readonly allowContactInvites: boolean;
  /** `allow_user_invites`: contact invites from non-admins may also register an account. */
  readonly allowUserInvites: boolean;
  /** The web page for a token, when the web door is configured. */
  readonly landingUrl: (token: string) => string | undefined;
}

export function inviteCommands(deps: CommandDeps): AdhocCommand[] {
  return [createContactInvite(deps), createAccountInvite(deps), passwordResetInvite(deps), listInvites(deps), revokeInvite(deps)];
}
