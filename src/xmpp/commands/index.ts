// The ad-hoc commands on the component JID. XEP-0401 node names where the XEP has them, Prosody
// 13's for password reset, and this project's own for listing and revoking.
import type { CommandDeps } from "./deps.js";
import type { AdhocCommand } from "../xep0050-commands.js";
import { acceptContactInvite } from "./accept-contact-invite.js";
import { createAccountInvite } from "./create-account-invite.js";
import { createContactInvite } from "./create-contact-invite.js";
import { listInvites } from "./list-invites.js";
import { passwordResetInvite } from "./password-reset-invite.js";
import { revokeInvite } from "./revoke-invite.js";
import { inviteTree } from "./invite-tree.js";
import { revokeUserInvites } from "./revoke-user-invites.js";

export function inviteCommands(deps: CommandDeps): AdhocCommand[] {
  return [
    createContactInvite(deps), createAccountInvite(deps), passwordResetInvite(deps), listInvites(deps), revokeInvite(deps),
    acceptContactInvite(deps), inviteTree(deps), revokeUserInvites(deps),
  ];
}
