// Chat messages from the component's own JID (RFC 6121 §5): notices to inviters and watchers, and
// the welcome text for new accounts. Sent once; a user who is offline gets them from the
// server's offline storage if it has one.
import { randomUUID } from "node:crypto";
import type { Component } from "@xmpp/component";
import type { Notifier } from "../../invites/ports/notifier.js";
import { xml } from "../../protocol/xml.js";

/** `connection`: the component's (the XMPP edge's ComponentConnection fits). */
export function createXmppNotifier(connection: { isOnline(): boolean; readonly xmpp: Component }, componentDomain: string): Notifier {
  return {
    async notify(to, text) {
      if (!connection.isOnline()) throw new Error("the component is not connected");
      await connection.xmpp.send(xml("message", { type: "chat", from: componentDomain, to, id: randomUUID() }, xml("body", {}, text)));
    },
  };
}
