// JIDs as plain strings (RFC 7622 §3.1): the resource starts at the first "/", and the localpart
// ends at the first "@" before it. The one parser every layer uses.

export interface Jid {
  /** "" for a domain JID. */
  readonly local: string;
  readonly domain: string;
  /** "" for a bare JID. */
  readonly resource: string;
}

/** Splits a JID; undefined when a part that is present is empty (e.g. "@example.org", "a@"). */
export function parseJid(value: string): Jid | undefined {
  const slash = value.indexOf("/");
  const bare = slash === -1 ? value : value.slice(0, slash);
  const resource = slash === -1 ? "" : value.slice(slash + 1);
  const at = bare.indexOf("@");
  const local = at === -1 ? "" : bare.slice(0, at);
  const domain = at === -1 ? bare : bare.slice(at + 1);
  if (domain === "" || (at !== -1 && local === "") || (slash !== -1 && resource === "")) return undefined;
  return { local, domain, resource };
}

/** A bare JID with a localpart (an account), optionally on one domain only. */
export function isAccountJid(value: string, domain?: string): boolean {
  const jid = parseJid(value);
  return jid !== undefined && jid.local !== "" && jid.resource === "" && (domain === undefined || jid.domain === domain);
}

/** The localpart of an account JID ("" when there is none). */
export function localpartOf(value: string): string {
  return parseJid(value)?.local ?? "";
}
