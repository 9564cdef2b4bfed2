// Builds the configured adapter and its roster capability: an exhaustive switch on the type.
import type { Logger } from "pino";
import { type AdapterConfig, type RosterConfig, effectiveRoster } from "../config/schema.js";
import type { RosterResult, RosterWriter } from "../invites/ports/roster.js";
import type { ServerAdapter } from "../invites/ports/server.js";
import { createEjabberdApi } from "./server/ejabberd-api.js";
import { createProsodyctl } from "./server/prosodyctl.js";
import type { IqRequester } from "../protocol/iq.js";
import { createXep0133Adapter } from "./server/xep0133.js";
import { createXep0133AccountAdapter } from "./server/xep0133-account.js";

export interface AdapterDeps {
  /** The component connection (XEP-0133 from the component JID). */
  readonly xmpp: IqRequester;
  readonly domain: string;
  readonly log: Logger;
}

export function createAdapter(config: AdapterConfig, deps: AdapterDeps): ServerAdapter {
  const timeoutMs = config.timeout * 1000;
  switch (config.type) {
    case "xep0133":
      return createXep0133Adapter({ xmpp: deps.xmpp, domain: deps.domain, timeoutMs, commandsJid: config.commands_jid });
    case "xep0133-account":
      return createXep0133AccountAdapter({ jid: config.jid, password: config.password, service: config.service, domain: deps.domain, timeoutMs, log: deps.log, commandsJid: config.commands_jid });
    case "ejabberd-api":
      return createEjabberdApi({ url: config.url, domain: deps.domain, username: config.username, password: config.password, timeoutMs, log: deps.log }).adapter;
    case "prosodyctl":
      return createProsodyctl({ config: config.config, command: config.command, domain: deps.domain, timeoutMs, log: deps.log }).adapter;
    default: {
      const unknown: never = config;
      throw new Error(`unknown adapter type ${String((unknown as { type?: unknown }).type)}`);
    }
  }
}

/** The roster writer for the adapter's (or `adapter.roster`'s) capability; xep0356 is built by the app. */
export function createRoster(config: AdapterConfig, deps: { domain: string; log: Logger; xep0356: () => RosterWriter }): RosterWriter {
  const roster: RosterConfig = effectiveRoster(config);
  const timeoutMs = config.timeout * 1000;
  switch (roster.type) {
    case "xep0356":
      return deps.xep0356();
    case "ejabberd-api":
      return createEjabberdApi({ url: roster.url, domain: deps.domain, username: roster.username, password: roster.password, timeoutMs, log: deps.log }).roster;
    case "prosodyctl":
      return createProsodyctl({ config: roster.config, command: roster.command, domain: deps.domain, timeoutMs, log: deps.log }).roster;
    case "none":
      return noRoster;
    default: {
      const unknown: never = roster;
      throw new Error(`unknown roster type ${String((unknown as { type?: unknown }).type)}`);
    }
  }
}

/** ejabberd's version through its HTTP API, where the adapter or the roster writer is `ejabberd-api`. */
export function ejabberdApiVersion(config: AdapterConfig, deps: { domain: string; log: Logger }): (() => Promise<string | undefined>) | undefined {
  const api = config.type === "ejabberd-api" ? config : effectiveRoster(config);
  if (api.type !== "ejabberd-api") return undefined;
  return createEjabberdApi({ url: api.url, domain: deps.domain, username: api.username, password: api.password, timeoutMs: config.timeout * 1000, log: deps.log }).version;
}

const noRoster: RosterWriter = {
  kind: "none",
  isAvailable: () => false,
  setSubscribed: async (): Promise<RosterResult> => ({ ok: false, reason: "rejected", detail: "no roster capability configured" }),
};

/** What check-config and the start-up log say the configuration can do. */
export function describeCapabilities(config: AdapterConfig): string[] {
  const roster = effectiveRoster(config).type;
  return [
    "create accounts",
    "reset passwords",
    "delete accounts",
    roster === "none" ? "no roster writes (contact and group invites unavailable)" : `mutual subscriptions via ${roster}`,
  ];
}

/**
 * How open claims are settled (whether an account exists), for check-config: where the adapter
 * cannot tell, claims left by a crash or a timeout stay reserved until an operator acts.
 */
export function describeAccountCheck(config: AdapterConfig): string {
  switch (config.type) {
    case "ejabberd-api":
      return "check_account";
    case "prosodyctl":
      return "usermanager.user_exists in prosodyctl shell";
    case "xep0133":
    case "xep0133-account":
      return "XEP-0133 user-stats (Prosody) or get-registered-users-list (ejabberd), learnt from the server at run time; " +
        "if it offers neither, the adapter cannot tell, claims left open by a crash or a timeout stay reserved and the log says so";
    default: {
      const unknown: never = config;
      return String((unknown as { type?: unknown }).type);
    }
  }
}
