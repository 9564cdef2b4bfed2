// ====================================================================
// XEP-0356: Privileged Entity — roster access granted to the component by the server
// Source: https://xmpp.org/extensions/xep-0356.html (v0.4.1), §4 Roster Access
// The server announces what it grants in a <privilege/> message right after the handshake; with
// roster "set" or "both", the component writes items with subscription="both" on both sides of
// an invitation (Prosody's mod_privilege honours the attribute).
// ====================================================================
import type { Logger } from "pino";
import type { RosterResult, RosterWriter, SubscribedItem } from "../../invites/ports/roster.js";
import type { Component } from "@xmpp/component";
import { NS } from "../../protocol/namespaces.js";
import { type Element, xml } from "../../protocol/xml.js";
import { isAccountJid, parseJid } from "../../protocol/jid.js";
import { type IqRequester, stanzaErrorOf } from "../../protocol/iq.js";

export interface Xep0356RosterOptions {
  /** The component's connection (the XMPP edge's ComponentConnection fits). */
  readonly connection: IqRequester & { readonly xmpp: Component };
  /** The server domain whose users' rosters are written. */
  readonly domain: string;
  readonly componentDomain: string;
  readonly log: Logger;
  readonly timeoutMs: number;
}

const GRANT_WAIT_MS = 5000;

export function parsePrivileges(message: Element): Map<string, string> | undefined {
  const privilege = message.getChild("privilege", NS.PRIVILEGE) ?? message.getChild("privilege", NS.PRIVILEGE_1);
  if (!privilege) return undefined;
  return new Map(privilege.getChildren("perm").map((perm) => [perm.attrs["access"] ?? "", perm.attrs.type ?? "none"]));
}

export function rosterItemSet(owner: string, item: SubscribedItem): Element {
  return xml("iq", { type: "set", to: owner },
    xml("query", { xmlns: NS.ROSTER },
      xml("item", { jid: item.jid, subscription: "both" }, item.groups.map((group) => xml("group", {}, group)))));
}

export function createXep0356RosterWriter(options: Xep0356RosterOptions): RosterWriter {
  const { connection, domain, componentDomain, log, timeoutMs } = options;
  const listeners: (() => void)[] = [];
  const { xmpp } = connection;
  let permission = "none";

  // Listening from construction: the announcement can arrive before start() resolves.
  xmpp.middleware.use((ctx, next) => {
    if (ctx.name === "message" && ctx.stanza.attrs.from === domain) {
      const perms = parsePrivileges(ctx.stanza);
      if (perms) {
        permission = perms.get("roster") ?? "none";
        log.info({ roster: permission, message: perms.get("message") ?? "none" }, "privileges granted by the server (XEP-0356)");
        if (permission === "set" || permission === "both") for (const listener of listeners) listener();
        return undefined;
      }
    }
    return next();
  });
  xmpp.on("disconnect", () => {
    permission = "none";
  });
  // Say so when the grant never comes: contact and group invites then register but cannot subscribe.
  xmpp.on("online", () => {
    setTimeout(() => {
      if (connection.isOnline() && permission !== "set" && permission !== "both") {
        log.warn({ roster: permission }, "the server has not granted roster access (XEP-0356): subscriptions from contact and group invites wait until it does (Prosody: load mod_privilege and set privileged_entities)");
      }
    }, GRANT_WAIT_MS).unref();
  });

  // Roster pushes about users' rosters, if the server sends them: acknowledge (RFC 6121 §2.1.6).
  xmpp.iqCallee.set(NS.ROSTER, "query", (ctx) => (ctx.from && ctx.from.domain === domain && !ctx.from.resource ? true : undefined));

  const isUser = (jid: string) => isAccountJid(jid) && parseJid(jid)?.domain !== componentDomain;

  return {
    kind: "xep0356",
    onAvailable: (listener) => listeners.push(listener),
    isAvailable: () => connection.isOnline() && (permission === "set" || permission === "both"),
    async setSubscribed(owner, item): Promise<RosterResult> {
      // The component never puts itself (or any bare domain) on a user's roster.
      if (!isUser(owner) || !isUser(item.jid)) return { ok: false, reason: "rejected", detail: "not a user JID" };
      if (!connection.isOnline()) return { ok: false, reason: "unavailable", detail: "component not connected" };
      try {
        await connection.request(rosterItemSet(owner, item), timeoutMs);
        return { ok: true };
      } catch (err) {
        const { condition } = stanzaErrorOf(err);
        const detail = condition ?? (err instanceof Error ? err.message : String(err));
        return { ok: false, reason: condition === undefined || condition === "remote-server-timeout" ? "unavailable" : "rejected", detail };
      }
    },
  };
}
