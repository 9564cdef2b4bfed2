// List pending invites (admins): an XEP-0004 §3.4 table, newest first.
import { inviteKind } from "../../invites/domain/invite.js";
import type { AdhocCommand } from "../xep0050-commands.js";
import type { CommandDeps } from "./deps.js";
import { iso } from "../../invites/service/json.js";

const MAX_ROWS = 200;

export function listInvites(deps: CommandDeps): AdhocCommand {
  return {
    node: "xmpp-invites#list",
    name: "List pending invites",
    allowed: (r) => r.isAdmin,
    async run() {
      const invites = await deps.invites.list({ limit: MAX_ROWS });
      return {
        status: "completed",
        form: {
          type: "result",
          title: invites.length === 0 ? "No pending invites" : `Pending invites (${invites.length}${invites.length === MAX_ROWS ? "+" : ""})`,
          fields: [],
          table: {
            reported: [
              { var: "id", label: "Id" },
              { var: "kind", label: "Kind" },
              { var: "inviter", label: "Inviter" },
              { var: "username", label: "Username" },
              { var: "uses", label: "Uses" },
              { var: "expire", label: "Valid until" },
              { var: "note", label: "Note" },
            ],
            items: invites.map((invite) => ({
              id: invite.id,
              kind: inviteKind(invite),
              inviter: invite.inviter ?? "",
              username: invite.username ?? "",
              uses: `${invite.uses}/${invite.maxUses}`,
              expire: iso(invite.expiresAt),
              note: invite.note ?? "",
            })),
          },
        },
      };
    },
  };
}
