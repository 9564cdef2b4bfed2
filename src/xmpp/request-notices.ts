// Tells admins about a new account request: a chat message from the component's JID to each
// admin account, queued in the store and sent by an instance that holds the component connection.
// A message that cannot be queued is logged; the request waits in the list either way.
import type { Logger } from "pino";
import type { AccountRequest, RequestNotifier } from "../invites/requests/account-requests.js";
import { isAccountJid } from "../protocol/jid.js";
import type { Notifier } from "../invites/ports/notifier.js";

export interface NoticeOptions {
  /** Sends (queues) one chat message from the component. */
  readonly notifier: Notifier;
  readonly componentJid: string;
  readonly admins: readonly string[];
  readonly domain: string;
  readonly log: Logger;
}

export function requestNotifier(options: NoticeOptions): RequestNotifier {
  // Admin entries without a localpart (a server or component) cannot read messages.
  const recipients = options.admins.filter((jid) => isAccountJid(jid));
  return {
    requested(request: AccountRequest) {
      const text = [
        `New account request ${request.id}: ${request.username}@${options.domain}`,
        ...(request.message === null ? [] : [`Message: ${request.message}`]),
        `Approve or deny it with the "Decide on an account request" command on ${options.componentJid}, or: xmpp-invites request approve ${request.id}`,
      ].join("\n");
      for (const to of recipients) {
        options.notifier.notify(to, text).catch((err: unknown) => {
          options.log.warn({ err, request: request.id }, "could not tell an admin about an account request");
        });
      }
    },
  };
}
