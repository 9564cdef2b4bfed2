// ====================================================================
// XEP-0114: Jabber Component Protocol — the connection to the XMPP server
// Source: https://xmpp.org/extensions/xep-0114.html (v1.6)
// Reconnects with exponential backoff when the server goes away; refuses to start on errors a
// retry cannot fix (wrong secret, unknown component name). With `standby`, a conflict (another
// instance holds the component name, as Prosody allows one connection per component) is not an
// error: this instance stands by and keeps asking, so it takes over within seconds of the other
// one going away.
// ====================================================================
import { randomBytes } from "node:crypto";
import { type Component, component } from "@xmpp/component";
import type { Logger } from "pino";
import { type IqRequester, stanzaErrorOf } from "../protocol/iq.js";
import type { Element } from "../protocol/xml.js";
import type { Timing } from "../timing.js";
import {
  type ConnectionPlugin, type LinkState, type ReplyRelay, type Standby,
  backoff, describeError, incomingShield, promptAck, replyRelay, requestTiming, sendGuard, stanzaTrace, statusLog,
} from "./component-plugins.js";

export { type ReplyRelay, acknowledgePromptly } from "./component-plugins.js";

export interface ConnectionOptions {
  readonly service: string;
  readonly domain: string;
  readonly secret: string;
  readonly log: Logger;
  /** First retry delay and cap, in ms. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Opt-in: how long each request to the component took from arrival to reply. */
  readonly timing?: Timing | undefined;
  /** Stand by on conflict, asking again every `retryMs` (with jitter); absent: a conflict is fatal. */
  readonly standby?: Standby;
  /** Passes replies meant for another instance on to it (servers that balance several connections). */
  readonly relay?: ReplyRelay;
}

export interface ComponentConnection extends IqRequester {
  readonly xmpp: Component;
  /** Resolves once online; retries while the server is unreachable. */
  start(): Promise<void>;
  stop(): Promise<void>;
  isOnline(): boolean;
  /** Refused with conflict at its last attempt: another instance holds the connection. */
  isStandby(): boolean;
  request(stanza: Element, timeoutMs: number): Promise<Element>;
}

// Stream errors that mean the configuration is wrong: retrying will not help.
const FATAL_CONDITIONS = new Set(["not-authorized", "host-unknown", "conflict", "invalid-namespace", "improper-addressing"]);

export class ComponentStartError extends Error {
  override name = "ComponentStartError" as const;
}

export function createComponentConnection(options: ConnectionOptions): ComponentConnection {
  const xmpp = component({ service: options.service, domain: options.domain, password: options.secret });
  const state: LinkState = { attempts: 0, stopping: false, standingBy: false };
  for (const plug of plugins(options, state)) plug({ entity: xmpp, middleware: xmpp.middleware });
  const { relay } = options;
  return {
    xmpp,
    isOnline: () => xmpp.status === "online",
    isStandby: () => state.standingBy,
    request: (stanza, timeoutMs) => {
      if (relay && stanza.attrs.id === undefined) stanza.attrs.id = `${relay.tag}.${randomBytes(6).toString("hex")}`;
      return xmpp.iqCaller.request(stanza, timeoutMs);
    },
    start: () => start(xmpp, options),
    async stop() {
      state.stopping = true;
      xmpp.reconnect.stop();
      if (xmpp.status === "offline") return;
      try {
        await Promise.race([xmpp.stop(), new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
      } catch {
        // Already gone: nothing to close.
      }
    },
  };
}

/** The connection's concerns, in the order they are installed. */
function plugins(options: ConnectionOptions, state: LinkState): ConnectionPlugin[] {
  const { log, standby } = options;
  return [
    sendGuard(log),
    incomingShield(log),
    stanzaTrace(log),
    ...(options.relay ? [replyRelay(options.relay, log)] : []),
    ...(options.timing ? [requestTiming(options.timing)] : []),
    promptAck(),
    // Before backoff, which resets the attempt count the log reads.
    statusLog(state, options, log, standby),
    backoff(state, options.backoff ?? { initialMs: 1000, maxMs: 30_000 }, log, standby),
  ];
}

/** Connects; a failed first attempt is retried by the reconnect plugin until online or refused for good. */
async function start(xmpp: Component, options: ConnectionOptions): Promise<void> {
  try {
    await xmpp.start();
    return;
  } catch (err) {
    const { condition } = stanzaErrorOf(err);
    // Standing by is a way of running: the reconnect plugin keeps asking.
    if (options.standby && condition === "conflict") return;
    if (condition !== undefined && FATAL_CONDITIONS.has(condition)) {
      xmpp.reconnect.stop();
      await xmpp.stop().catch(() => undefined);
      throw new ComponentStartError(explainFatal(condition, options));
    }
    // Not logged here: the disconnect that follows says it once, with the error.
    options.log.debug({ err: describeError(err) }, "first connection attempt failed");
  }
  await untilUp(xmpp, options);
}

/** Waits for the reconnect plugin to get online, or to be refused in a way a retry cannot fix. */
function untilUp(xmpp: Component, options: ConnectionOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onOnline = () => { cleanup(); resolve(); };
    const onError = (err: unknown) => {
      const { condition } = stanzaErrorOf(err);
      if (options.standby && condition === "conflict") {
        cleanup();
        resolve();
        return;
      }
      if (condition !== undefined && FATAL_CONDITIONS.has(condition)) {
        cleanup();
        xmpp.reconnect.stop();
        reject(new ComponentStartError(explainFatal(condition, options)));
      }
    };
    const cleanup = () => { xmpp.off("online", onOnline); xmpp.off("error", onError); };
    xmpp.on("online", onOnline);
    xmpp.on("error", onError);
  });
}

function explainFatal(condition: string, options: ConnectionOptions): string {
  switch (condition) {
    case "not-authorized":
      return `The XMPP server at ${options.service} refused the component secret for ${options.domain} (not-authorized): check component.secret against the server's Component block`;
    case "host-unknown":
    case "improper-addressing":
      return `The XMPP server at ${options.service} does not know the component ${options.domain} (${condition}): declare it in the server's config`;
    case "conflict":
      return `Another component is already connected as ${options.domain} (conflict)`;
    default:
      return `The XMPP server at ${options.service} refused the component (${condition})`;
  }
}
