// Who is asking: the admin policy for ad-hoc commands, from the sender's JID as the server
// stamped it (a component cannot be lied to about `from`: the server sets it).
import type { JID } from "@xmpp/component";
import { isAccountJid } from "../protocol/jid.js";
import type { Requester } from "./xep0050-commands.js";

export function requesterPolicy(options: { admins: readonly string[]; domain: string }): (from: JID) => Requester {
  const admins = new Set(options.admins.map((jid) => jid.toLowerCase()));
  return (from) => {
    const bare = from.bare().toString().toLowerCase();
    return { jid: from.toString(), bare, isAdmin: admins.has(bare), isLocalUser: isAccountJid(bare, options.domain) };
  };
}
