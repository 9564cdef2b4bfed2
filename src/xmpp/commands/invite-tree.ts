// "Who invited whom" (xmpp-invites#tree, admins): the invitation tree below one account, or all
// of them, as an XEP-0004 §3.4 table with each account indented under its inviter.
import { iso } from "../../invites/service/json.js";
import { flatten } from "../../invites/social/tree.js";
import { fieldValue } from "../../protocol/forms.js";
import type { AdhocCommand } from "../xep0050-commands.js";
import type { CommandDeps } from "./deps.js";

const MAX_ROWS = 500;

export function inviteTree(deps: CommandDeps): AdhocCommand {
  return {
    node: "xmpp-invites#tree",
    name: "Who invited whom",
    allowed: (r) => r.isAdmin,
    async run({ form }) {
      if (form === undefined) {
        return {
          status: "executing",
          form: {
            type: "form",
            title: "Who invited whom",
            instructions: "Leave the account empty to see every tree.",
            fields: [{ var: "accountjid", type: "jid-single", label: "Account (optional)" }],
          },
        };
      }
      const root = fieldValue(form, "accountjid")?.trim() || undefined;
      const rows = flatten(await deps.tree.tree(root));
      return {
        status: "completed",
        form: {
          type: "result",
          title: `Invitations${root === undefined ? "" : ` below ${root}`} (${rows.length}${rows.length > MAX_ROWS ? `, first ${MAX_ROWS}` : ""})`,
          fields: [],
          table: {
            reported: [
              { var: "account", label: "Account" },
              { var: "invited-by", label: "Invited by" },
              { var: "kind", label: "How" },
              { var: "date", label: "When" },
              { var: "note", label: "Note" },
            ],
            items: rows.slice(0, MAX_ROWS).map(({ depth, node }) => ({
              account: `${"  ".repeat(depth)}${node.jid}`,
              "invited-by": node.invitation?.inviter ?? "",
              kind: node.invitation === null ? "" : node.invitation.kind === "account" ? "account created" : "contact accepted",
              date: node.invitation === null ? "" : iso(node.invitation.at),
              note: node.invitation?.note ?? "",
            })),
          },
        },
      };
    },
  };
}
