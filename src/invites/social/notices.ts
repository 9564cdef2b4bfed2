// Messages the component sends from its own JID when invites are used: the inviter (or, for
// invites made from the CLI or the API, the admins) hears who joined or who accepted, watchers
// hear of every new account, and new accounts get the welcome text.
import type { Logger } from "pino";
import type { InviteEvents } from "../domain/events.js";
import type { Invite } from "../domain/invite.js";
import type { Notifier } from "../ports/notifier.js";
import { isAccountJid, parseJid } from "../../protocol/jid.js";

export interface NoticeSettings {
  readonly siteName: string;
  readonly domain: string;
  /** Told about invites that have no user behind them (made from the CLI or the API). */
  readonly admins: readonly string[];
  /** Told about every account created, like Prosody's registration_watchers. */
  readonly watchers: readonly string[];
  /** Whether the inviter hears when an invite is used. */
  readonly notifyInviters: boolean;
  /** Sent to every new account; {username}, {site_name} and {inviter} are filled in. */
  readonly welcome: string | undefined;
}

/** The user behind an invite: its inviter, else the account that made it; null for the CLI and the API. */
export function invitingUser(invite: Pick<Invite, "inviter" | "source">): string | null {
  if (invite.inviter !== null) return invite.inviter;
  const source = invite.source === null ? undefined : parseJid(invite.source);
  return source !== undefined && source.local !== "" ? `${source.local}@${source.domain}`.toLowerCase() : null;
}

export function fillWelcome(template: string, values: { username: string; siteName: string; inviter: string }): string {
  return template.replace(/\{(username|site_name|inviter)\}/g, (_, key: string) =>
    key === "username" ? values.username : key === "site_name" ? values.siteName : values.inviter);
}

export function noticeEvents(notifier: Notifier, settings: NoticeSettings, log: Logger): InviteEvents {
  const send = (to: string, text: string) => {
    notifier.notify(to, text).catch((err: unknown) => {
      log.warn({ to, err: err instanceof Error ? err.message : String(err) }, "could not send a notice");
    });
  };
  const noteOf = (invite: Invite) => (invite.note === null ? "" : ` (invite note: ${invite.note})`);
  /** The inviter, or the admins for an invite with no user behind it; never the new account itself. */
  const inviterRecipients = (invite: Invite, subject: string): string[] => {
    if (!settings.notifyInviters) return [];
    const user = invitingUser(invite);
    const recipients = user !== null ? [user] : settings.admins;
    return recipients.filter((jid) => isAccountJid(jid) && jid !== subject);
  };

  return {
    registered(_door, action, invite, jid) {
      if (action !== "created") return;
      const username = parseJid(jid)?.local ?? jid;
      const user = invite === null ? null : invitingUser(invite);
      const told = new Set<string>();
      if (invite !== null) {
        for (const to of inviterRecipients(invite, jid)) {
          told.add(to);
          send(to, `${jid} joined ${settings.siteName} with ${user === to ? "your" : "an"} invite (${invite.id})${noteOf(invite)}.`);
        }
      }
      for (const to of settings.watchers) {
        if (told.has(to) || to === jid) continue;
        told.add(to);
        send(to, `New account on ${settings.siteName}: ${jid}${invite === null ? " (no invite)" : `, invited by ${user ?? invite.source ?? "an admin"} (invite ${invite.id})${noteOf(invite)}`}.`);
      }
      if (settings.welcome !== undefined) {
        send(jid, fillWelcome(settings.welcome, { username, siteName: settings.siteName, inviter: user ?? settings.siteName }));
      }
    },
    contactAccepted(invite, jid) {
      for (const to of inviterRecipients(invite, jid)) {
        send(to, `${jid} accepted your contact invite (${invite.id})${noteOf(invite)}: you are now in each other's contacts.`);
      }
    },
  };
}
