// "Accept a contact invite" (xmpp-invites#accept): an account of this server that already exists
// sends the invite (its link or its token) from its own session, which proves the address; the
// component then subscribes it and the inviter to each other (XEP-0379's outcome, written by the
// roster writer). Accounts of other servers get the same outcome through the Prosody bridge.
import { AppError } from "../../errors.js";
import { parseInviteUri } from "../../invites/domain/uri.js";
import { fieldValue } from "../../protocol/forms.js";
import type { AdhocCommand } from "../xep0050-commands.js";
import type { CommandDeps } from "./deps.js";

export function acceptContactInvite(deps: CommandDeps): AdhocCommand {
  return {
    node: "xmpp-invites#accept",
    name: "Accept a contact invite",
    // The roster writer reaches rosters of this server only.
    allowed: (r) => r.isLocalUser,
    async run({ form, requester }) {
      const given = form === undefined ? undefined : fieldValue(form, "invite")?.trim();
      if (!given) {
        return {
          status: "executing",
          form: {
            type: "form",
            title: "Accept a contact invite",
            instructions: "Paste the invite link you were sent (xmpp:…?roster;preauth=… or its web page).",
            fields: [{ var: "invite", type: "text-single", label: "Invite link", required: true }],
          },
          ...(form === undefined ? {} : { note: { type: "error" as const, text: "Paste the invite link" } }),
        };
      }
      const invite = await deps.contacts.accept(tokenOf(given), requester.bare, "xmpp");
      return { status: "completed", note: { type: "info", text: `You and ${invite.inviter ?? "the inviter"} are being added to each other's contacts.` } };
    },
  };
}

/** The token from an xmpp: URI, a landing page URL (…/invite/TOKEN) or the token itself. */
function tokenOf(text: string): string {
  const uri = parseInviteUri(text);
  if (uri !== undefined) return uri.token;
  const page = /\/invite\/([^/?#\s]+)\/?(?:[?#].*)?$/.exec(text);
  if (page?.[1] !== undefined) return page[1];
  if (/^[A-Za-z0-9_-]+$/.test(text)) return text;
  throw new AppError("contact-invite-refused", "That is not an invite link");
}
