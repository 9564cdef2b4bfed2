// Prosody 13's "Create password reset invite" (xmpp:prosody.im/mod_invites_adhoc#password-reset): admins.
import { AppError } from "../../errors.js";
import { fieldValue } from "../forms.js";
import type { AdhocCommand } from "../xep0050-commands.js";
import type { CommandDeps } from "./index.js";
import { invitationForm } from "./invitation-form.js";

export function passwordResetInvite(deps: CommandDeps): AdhocCommand {
  return {
    node: "xmpp:prosody.im/mod_invites_adhoc#password-reset",
    name: "Create password reset invite",
    allowed: (r) => r.isAdmin,
    run({ form, requester }) {
      const accountjid = form === undefined ? undefined : fieldValue(form, "accountjid")?.trim();
      if (!accountjid) {
        return {
          status: "executing",
          form: {
            type: "form",
            title: "Create password reset invite",
            fields: [{ var: "accountjid", type: "jid-single", label: "Account", required: true }],
          },
          ...(form === undefined ? {} : { note: { type: "error" as const, text: "Enter the account whose password is to be reset" } }),
        };
      }
      const at = accountjid.lastIndexOf("@");
      if (at <= 0 || accountjid.slice(at + 1).toLowerCase() !== deps.domain) {
        throw new AppError("invalid-argument", `The account must be on ${deps.domain}`);
      }
      const { invite, token, uri } = deps.invites.create({ type: "reset", username: accountjid.slice(0, at), source: requester.jid });
      return { status: "completed", form: invitationForm(invite, uri, deps.landingUrl(token)) };
    },
  };
}
