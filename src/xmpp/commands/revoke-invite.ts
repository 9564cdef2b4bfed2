// Revoke an invite (admins): pick one of the pending invites, or submit its id directly.
import { inviteKind } from "../../invites/domain/invite.js";
import { fieldValue } from "../../protocol/forms.js";
import type { AdhocCommand } from "../xep0050-commands.js";
import type { CommandDeps } from "./deps.js";

export function revokeInvite(deps: CommandDeps): AdhocCommand {
  return {
    node: "xmpp-invites#revoke",
    name: "Revoke an invite",
    allowed: (r) => r.isAdmin,
    async run({ form }) {
      const id = form === undefined ? undefined : fieldValue(form, "id")?.trim();
      if (!id) {
        const pending = await deps.invites.list({ limit: 100 });
        return {
          status: "executing",
          form: {
            type: "form",
            title: "Revoke an invite",
            fields: [{
              var: "id",
              type: "list-single",
              label: "Invite",
              required: true,
              options: pending.map((invite) => ({ value: invite.id, label: [invite.id, inviteKind(invite), invite.inviter ?? invite.username ?? "", invite.note ?? ""].filter(Boolean).join(" — ") })),
            }],
          },
        };
      }
      const invite = await deps.invites.revoke(id);
      return { status: "completed", note: { type: "info", text: `Invite ${invite.id} revoked` } };
    },
  };
}
