// ====================================================================
// XEP-0030: Service Discovery
// Source: https://xmpp.org/extensions/xep-0030.html (v2.5rc3)
// ====================================================================
import type { Component } from "@xmpp/component";
import type { Logger } from "pino";
import { guarded } from "./handlers.js";
import { NS } from "../protocol/namespaces.js";
import { stanzaError } from "../protocol/stanza-error.js";
import { xml } from "../protocol/xml.js";
import type { CommandsDisco } from "./xep0050-commands.js";

export interface DiscoOptions {
  readonly xmpp: Component;
  readonly log: Logger;
  readonly name: string;
  /** Asked on every request, so only what really works right now is advertised. */
  readonly features: () => readonly string[];
  readonly commands?: CommandsDisco;
}

const itemNotFound = () => stanzaError({ type: "cancel", condition: "item-not-found" });

export function registerDisco({ xmpp, log, name, features, commands }: DiscoOptions): void {
  xmpp.iqCallee.get(NS.DISCO_INFO, "query", guarded(log, (ctx) => {
    const { node } = ctx.element.attrs;
    if (node !== undefined) {
      // XEP-0050 §2.2: each command node describes itself.
      const info = ctx.from ? commands?.info(node, ctx.from) : undefined;
      return info ? xml("query", { xmlns: NS.DISCO_INFO, node }, info) : itemNotFound();
    }
    const all = [NS.DISCO_INFO, NS.DISCO_ITEMS, ...(commands ? [NS.COMMANDS] : []), ...features()];
    return xml("query", { xmlns: NS.DISCO_INFO },
      xml("identity", { category: "component", type: "generic", name }),
      [...new Set(all)].sort().map((feature) => xml("feature", { var: feature })));
  }));

  xmpp.iqCallee.get(NS.DISCO_ITEMS, "query", guarded(log, (ctx) => {
    const { node } = ctx.element.attrs;
    if (node === undefined) return xml("query", { xmlns: NS.DISCO_ITEMS });
    // XEP-0050 §2.2: only the commands this requester may run.
    if (node === NS.COMMANDS && commands && ctx.from) return xml("query", { xmlns: NS.DISCO_ITEMS, node }, commands.items(ctx.from));
    return itemNotFound();
  }));
}
