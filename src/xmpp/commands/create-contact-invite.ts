// XEP-0401 §5.1 "Create new contact invite" (urn:xmpp:invite#invite): completes at once.
import type { AdhocCommand } from "../xep0050-commands.js";
import type { CommandDeps } from "./deps.js";
import { invitationForm } from "./invitation-form.js";
import { landingUrl } from "../../invites/domain/uri.js";

export function createContactInvite(deps: CommandDeps): AdhocCommand {
  return {
    node: "urn:xmpp:invite#invite",
    // XEP-0401 0.1.0 named it without the namespace; clients built on it still send that.
    aliases: ["invite"],
    name: "Create new contact invite",
    // The invite puts the invitee on the requester's roster, so only users of the domain have one.
    allowed: (r) => r.isLocalUser && (deps.allowContactInvites || r.isAdmin),
    async run({ requester }) {
      // Admins are exempt: the limits are against abuse by accounts, not by the operators. A
      // user's invite is counted and made in one store transaction (InviteService.create).
      const { invite, token, uri } = await deps.invites.create({
        type: "contact",
        inviter: requester.bare,
        // XEP-0401: the server omits ibr=y when the invitee may not register (Prosody's may_invite_new_users).
        allowRegistration: requester.isAdmin || deps.allowUserInvites,
        source: requester.jid,
      }, requester.isAdmin ? undefined : deps.limits);
      return { status: "completed", form: invitationForm(invite, uri, landingUrl(deps.publicUrl, token)) };
    },
  };
}
