// "Revoke a user's invites" (xmpp-invites#revoke-user, admins): every invite of one account that
// could still be used, at once (e.g. when the account turns out to be spamming).
import { AppError } from "../../errors.js";
import { fieldValue } from "../../protocol/forms.js";
import type { AdhocCommand } from "../xep0050-commands.js";
import type { CommandDeps } from "./deps.js";

export function revokeUserInvites(deps: CommandDeps): AdhocCommand {
  return {
    node: "xmpp-invites#revoke-user",
    name: "Revoke a user's invites",
    allowed: (r) => r.isAdmin,
    async run({ form }) {
      const accountjid = form === undefined ? undefined : fieldValue(form, "accountjid")?.trim();
      if (!accountjid) {
        if (form !== undefined) throw new AppError("invalid-argument", "Enter the account whose invites are to be revoked");
        return {
          status: "executing",
          form: { type: "form", title: "Revoke a user's invites", fields: [{ var: "accountjid", type: "jid-single", label: "Account", required: true }] },
        };
      }
      const revoked = await deps.tree.revokePending(accountjid);
      return {
        status: "completed",
        note: { type: "info", text: revoked.length === 0 ? `${accountjid} has no invites that could still be used` : `Revoked ${revoked.length} invite${revoked.length === 1 ? "" : "s"} of ${accountjid}: ${revoked.map((invite) => invite.id).join(", ")}` },
      };
    },
  };
}
