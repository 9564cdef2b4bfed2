// xmpp: URIs for invites as deployed clients read them (RFC 5122, XEP-0147 query actions,
// XEP-0401/XEP-0445 `preauth`).
import type { Invite } from "./invite.js";
import { parseJid } from "../../protocol/jid.js";

// RFC 5122 §2.2 leaves these unescaped in the node part; everything else is percent-encoded.
function encodeNode(localpart: string): string {
  return encodeURIComponent(localpart).replace(/%(21|24|2A|2B|2C|3B|3D)/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function encodeJid(bareJid: string): string {
  const jid = parseJid(bareJid);
  return jid === undefined || jid.local === "" ? bareJid : `${encodeNode(jid.local)}@${jid.domain}`;
}

/** xmpp:USER@DOMAIN: an account's address, which apps that accept it put in their login form. */
export function jidUri(bareJid: string): string {
  return `xmpp:${encodeJid(bareJid)}`;
}

/**
 * account: xmpp:DOMAIN?register;preauth=T, or xmpp:USER@DOMAIN?… for a fixed username or a reset
 * contact: xmpp:INVITER?roster;preauth=T, plus ;ibr=y when it may register (XEP-0401 §12)
 */
export function inviteUri(invite: Pick<Invite, "type" | "username" | "inviter" | "allowRegistration">, token: string, domain: string): string {
  if (invite.type === "contact" && invite.inviter !== null) {
    return `xmpp:${encodeJid(invite.inviter)}?roster;preauth=${token}${invite.allowRegistration ? ";ibr=y" : ""}`;
  }
  const jid = invite.username === null ? domain : `${encodeNode(invite.username)}@${domain}`;
  return `xmpp:${jid}?register;preauth=${token}`;
}

export interface ParsedInviteUri {
  readonly jid: string;
  readonly action: string;
  readonly token: string;
  readonly params: ReadonlyMap<string, string>;
}

/** Reads `xmpp:JID?action;preauth=T[;k=v…]`; undefined when it is not an invite URI. */
export function parseInviteUri(uri: string): ParsedInviteUri | undefined {
  const match = /^xmpp:([^?#]+)\?([^#]*)$/.exec(uri.trim());
  if (!match) return undefined;
  const [action = "", ...pairs] = (match[2] ?? "").split(";");
  const params = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq > 0) params.set(pair.slice(0, eq), decodeURIComponent(pair.slice(eq + 1)));
  }
  const token = params.get("preauth");
  if (!token || !action) return undefined;
  return { jid: decodeURIComponent(match[1] ?? ""), action, token, params };
}

/** The web door's paths for an invite. */
export const invitePath = (token: string): string => `/invite/${token}`;
export const registerPath = (token: string): string => `/invite/${token}/register`;
/** A request for an account: its private status link. */
export const requestPath = (statusToken: string): string => `/request/${encodeURIComponent(statusToken)}`;

/** The invite's web page under `http.public_url`; undefined when the web door's address is unknown. */
export function landingUrl(publicUrl: string | undefined, token: string): string | undefined {
  return publicUrl === undefined ? undefined : `${publicUrl.replace(/\/+$/, "")}${invitePath(token)}`;
}
