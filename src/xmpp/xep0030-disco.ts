// ====================================================================
// XEP-0030: Service Discovery
// Source: https://xmpp.org/extensions/xep-0030.html (v2.5rc3)
// ====================================================================
import type { Component } from "@xmpp/component";
import type { Logger } from "pino";
import { guarded } from "./handlers.js";
import { NS } from "./namespaces.js";
import { stanzaError } from "./stanza-error.js";
import { xml } from "./xml.js";

export interface DiscoOptions {
  readonly xmpp: Component;
  readonly log: Logger;
  readonly name: string;
  /** Asked on every request, so only what really works right now is advertised. */
  readonly features: () => readonly string[];
}

export function registerDisco({ xmpp, log, name, features }: DiscoOptions): void {
  xmpp.iqCallee.get(NS.DISCO_INFO, "query", guarded(log, (ctx) => {
    // §3.2: no nodes are served yet, so any node is unknown.
    if (ctx.element.attrs.node !== undefined) return stanzaError({ type: "cancel", condition: "item-not-found" });
    const all = [NS.DISCO_INFO, NS.DISCO_ITEMS, ...features()];
    return xml("query", { xmlns: NS.DISCO_INFO },
      xml("identity", { category: "component", type: "generic", name }),
      [...new Set(all)].sort().map((feature) => xml("feature", { var: feature })));
  }));

  xmpp.iqCallee.get(NS.DISCO_ITEMS, "query", guarded(log, (ctx) => {
    if (ctx.element.attrs.node !== undefined) return stanzaError({ type: "cancel", condition: "item-not-found" });
    return xml("query", { xmlns: NS.DISCO_ITEMS });
  }));
}
