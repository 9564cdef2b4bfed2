// Account requests (admins): list those waiting, and approve or deny one. Approval creates a
// single-use invite fixed to the requested username; the requester's status link becomes its form.
import { type AccountRequestService, type RequestListing, requestState } from "../../invites/requests/account-requests.js";
import type { Clock } from "../../invites/domain/clock.js";
import { iso } from "../../invites/service/json.js";
import { fieldValue } from "../../protocol/forms.js";
import type { AdhocCommand } from "../xep0050-commands.js";

const MAX_ROWS = 200;

/** What admins read next to a name before approving it. */
function nameNote(taken: RequestListing["taken"]): string {
  return taken === true ? "TAKEN: approval refused" : taken === "unknown" ? "not checked (server did not answer)" : "free";
}

export function accountRequestCommands(deps: { requests: AccountRequestService; clock: Clock }): AdhocCommand[] {
  const list: AdhocCommand = {
    node: "xmpp-invites#requests",
    name: "List account requests",
    allowed: (r) => r.isAdmin,
    async run() {
      const pending = await deps.requests.overview({ limit: MAX_ROWS });
      return {
        status: "completed",
        form: {
          type: "result",
          title: pending.length === 0 ? "No account requests waiting" : `Account requests waiting (${pending.length})`,
          fields: [],
          table: {
            reported: [
              { var: "id", label: "Id" },
              { var: "username", label: "Username" },
              { var: "name", label: "Name" },
              { var: "message", label: "Message" },
              { var: "created", label: "Requested" },
              { var: "expire", label: "Expires" },
            ],
            items: pending.map(({ request, taken }) => ({ id: request.id, username: request.username, name: nameNote(taken), message: request.message ?? "", created: iso(request.createdAt), expire: iso(request.expiresAt) })),
          },
        },
      };
    },
  };

  const decide: AdhocCommand = {
    node: "xmpp-invites#request-decide",
    name: "Decide on an account request",
    allowed: (r) => r.isAdmin,
    async run({ form, requester }) {
      const id = form === undefined ? undefined : fieldValue(form, "id")?.trim();
      const decision = form === undefined ? undefined : fieldValue(form, "decision")?.trim();
      if (!id || (decision !== "approve" && decision !== "deny")) {
        const pending = await deps.requests.overview({ limit: MAX_ROWS });
        return {
          status: "executing",
          form: {
            type: "form",
            title: "Decide on an account request",
            ...(pending.length === 0 ? { instructions: "No account requests are waiting." } : {}),
            fields: [
              {
                var: "id",
                type: "list-single",
                label: "Request",
                required: true,
                options: pending.map(({ request, taken }) => ({ value: request.id, label: [request.id, request.username, taken === true ? `(${nameNote(taken)})` : "", request.message ?? ""].filter(Boolean).join(" — ") })),
              },
              {
                var: "decision",
                type: "list-single",
                label: "Decision",
                required: true,
                options: [{ value: "approve", label: "Approve: the requester may create the account" }, { value: "deny", label: "Deny" }],
              },
            ],
          },
        };
      }
      const request = decision === "approve" ? await deps.requests.approve(id, requester.bare) : await deps.requests.deny(id, requester.bare);
      const state = requestState(request, deps.clock.now());
      return { status: "completed", note: { type: "info", text: `Request ${request.id} (${request.username}) ${state === "approved" ? "approved: the requester's link now opens the registration form" : "denied"}` } };
    },
  };
  return [list, decide];
}
