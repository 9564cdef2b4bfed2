// ====================================================================
// XEP-0199: XMPP Ping — lets operators and monitoring check the component answers.
// Source: https://xmpp.org/extensions/xep-0199.html (v2.0.1)
// ====================================================================
import type { Component } from "@xmpp/component";
import { NS } from "../protocol/namespaces.js";

export function registerPing(xmpp: Component): void {
  xmpp.iqCallee.get(NS.PING, "ping", () => true);
}
