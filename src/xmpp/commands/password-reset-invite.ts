// Prosody 13's "Create password reset invite" (xmpp:prosody.im/mod_invites_adhoc#password-reset): admins.
import { AppError } from "../../errors.js";
import { fieldValue } from "../../protocol/forms.js";
import type { AdhocCommand } from "../xep0050-commands.js";
import type { CommandDeps } from "./deps.js";
import { invitationForm } from "./invitation-form.js";
import { parseJid } from "../../protocol/jid.js";
import { landingUrl } from "../../invites/domain/uri.js";

export function passwordResetInvite(deps: CommandDeps): AdhocCommand {
  return {
    node: "xmpp:prosody.im/mod_invites_adhoc#password-reset",
    name: "Create password reset invite",
    allowed: (r) => r.isAdmin,
    async run({ form, requester }) {
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
      const account = parseJid(accountjid);
      if (account === undefined || account.local === "" || account.resource !== "" || account.domain.toLowerCase() !== deps.domain) {
        throw new AppError("invalid-argument", `The account must be on ${deps.domain}`);
      }
      const { invite, token, uri } = await deps.invites.create({ type: "reset", username: account.local, source: requester.jid });
      return { status: "completed", form: invitationForm(invite, uri, landingUrl(deps.publicUrl, token)) };
    },
  };
}
