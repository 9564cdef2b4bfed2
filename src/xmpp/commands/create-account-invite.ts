// XEP-0401 §5.2 "Create new account invite" (urn:xmpp:invite#create-account): admins.
// Asks for an optional fixed username and whether to subscribe the new account with the admin;
// a client may also submit that form with the first execute.
import { fieldBoolean, fieldValue } from "../../protocol/forms.js";
import type { AdhocCommand } from "../xep0050-commands.js";
import type { CommandDeps } from "./deps.js";
import { invitationForm } from "./invitation-form.js";
import { landingUrl } from "../../invites/domain/uri.js";

export function createAccountInvite(deps: CommandDeps): AdhocCommand {
  return {
    node: "urn:xmpp:invite#create-account",
    aliases: ["create-account"],
    name: "Create new account invite",
    allowed: (r) => r.isAdmin,
    async run({ form, requester }) {
      if (form === undefined) {
        return {
          status: "executing",
          form: {
            type: "form",
            title: "Create new account invite",
            instructions: "Leave the username empty to let the invitee choose one.",
            fields: [
              { var: "username", type: "text-single", label: "Username (optional)" },
              ...(requester.isLocalUser ? [{ var: "roster-subscription", type: "boolean" as const, label: "Add the new user to my contacts", values: ["0"] }] : []),
            ],
          },
        };
      }
      const username = fieldValue(form, "username")?.trim() || undefined;
      const subscribe = requester.isLocalUser && fieldBoolean(form, "roster-subscription");
      const { invite, token, uri } = await deps.invites.create({
        type: "account",
        username,
        inviter: subscribe ? requester.bare : undefined,
        source: requester.jid,
      });
      return { status: "completed", form: invitationForm(invite, uri, landingUrl(deps.publicUrl, token)) };
    },
  };
}
