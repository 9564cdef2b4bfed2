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
import { parse } from "ltx";
import type { Logger } from "pino";
import { traceStanzas } from "../log.js";
import { type IqRequester, stanzaErrorOf } from "../protocol/iq.js";
import { stanzaError } from "../protocol/stanza-error.js";
import { type Element, xml } from "../protocol/xml.js";
import { guardWrites } from "../protocol/xml-text.js";
import type { Timing } from "../timing.js";

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
  readonly standby?: { readonly retryMs: number };
  /** Passes replies meant for another instance on to it (servers that balance several connections). */
  readonly relay?: ReplyRelay;
}

/**
 * Where several instances hold connections for one component name (ejabberd balances stanzas
 * between them), the reply to one instance's request may reach another. Each instance prefixes
 * the ids of its requests with its tag; a reply with another tag is handed to that instance.
 */
export interface ReplyRelay {
  /** This instance's tag: letters and digits, no dot. */
  readonly tag: string;
  /** Hands a reply (serialized) to the instance with `tag`. */
  send(tag: string, stanza: string): void;
  /** Called with each serialized reply handed to this instance. */
  onMessage(listener: (stanza: string) => void): void;
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
  const { log } = options;
  const { initialMs, maxMs } = options.backoff ?? { initialMs: 1000, maxMs: 30_000 };
  const xmpp = component({ service: options.service, domain: options.domain, password: options.secret });
  let attempts = 0;
  let stopping = false;
  let wasOnline = false;
  let standingBy = false;
  const standby = options.standby;
  const isConflict = (err: unknown) => stanzaErrorOf(err).condition === "conflict";

  xmpp.reconnect.delay = initialMs;
  // A character XML cannot carry would end the stream (not-well-formed) and every request on it.
  guardWrites(xmpp, (fixed) => log.error(fixed, "an outgoing stanza held characters XML cannot carry; replaced with U+FFFD (the input that brought them should have been refused)"));
  shieldIncoming(xmpp, log);
  traceStanzas(xmpp, log);
  const relay = options.relay;
  if (relay) relayReplies(xmpp, relay, log);
  if (options.timing) timeRequests(xmpp, options.timing);

  xmpp.on("connect", () => {
    const socket = xmpp.socket;
    if (!socket) return;
    socket.setNoDelay(true);
    acknowledgePromptly(socket, () => xmpp.status === "online");
  });
  // While connecting, a refused or failed attempt raises an error and then a disconnect: both are
  // folded into one warning per attempt, so an outage of minutes stays readable.
  let online = false;
  let lastError: string | undefined;
  xmpp.on("online", () => {
    if (attempts > 0 || wasOnline) log.info({ attempts }, "reconnected to the XMPP server");
    else log.info({ service: options.service, jid: options.domain }, "connected to the XMPP server");
    if (standingBy) log.info("took over the component connection from another instance");
    standingBy = false;
    attempts = 0;
    wasOnline = true;
    online = true;
    lastError = undefined;
    xmpp.reconnect.delay = initialMs;
  });
  xmpp.on("disconnect", () => {
    const wasUp = online;
    online = false;
    const err = lastError;
    lastError = undefined;
    if (stopping || standingBy) return;
    if (wasUp) log.warn({ retryInMs: xmpp.reconnect.delay, ...(err === undefined ? {} : { err }) }, "lost the connection to the XMPP server; reconnecting");
    else log.warn({ attempt: attempts + 1, retryInMs: xmpp.reconnect.delay, ...(err === undefined ? {} : { err }) }, "cannot reach the XMPP server; retrying");
  });
  xmpp.on("status", (status: string) => log.debug({ status }, "component connection status"));
  xmpp.reconnect.on("reconnecting", () => {
    attempts += 1;
    // Double the wait after each failed attempt, with jitter so many components do not retry in step;
    // a standby asks at its own short pace, so a takeover takes seconds.
    const next = standingBy && standby ? standby.retryMs : Math.min(maxMs, initialMs * 2 ** attempts);
    xmpp.reconnect.delay = Math.round(next * (0.75 + Math.random() * 0.5));
    log.debug({ attempt: attempts + 1 }, "connecting to the XMPP server");
  });
  // Without a listener an 'error' event would throw; every error is logged and handled here.
  xmpp.on("error", (err: unknown) => {
    if (stopping) return;
    if (standby && isConflict(err)) {
      if (!standingBy) log.info({ retryInMs: standby.retryMs }, "another instance holds the component connection; standing by");
      standingBy = true;
      xmpp.reconnect.delay = standby.retryMs;
      return;
    }
    if (online) log.warn({ err: describeError(err) }, "XMPP connection error");
    else {
      lastError = describeError(err);
      log.debug({ err: lastError }, "XMPP connection error");
    }
  });

  return {
    xmpp,
    isOnline: () => xmpp.status === "online",
    isStandby: () => standingBy,
    request: (stanza, timeoutMs) => {
      if (relay && stanza.attrs.id === undefined) stanza.attrs.id = `${relay.tag}.${randomBytes(6).toString("hex")}`;
      return xmpp.iqCaller.request(stanza, timeoutMs);
    },

    async start() {
      try {
        await xmpp.start();
        return;
      } catch (err) {
        const { condition } = stanzaErrorOf(err);
        // Standing by is a way of running: the reconnect plugin keeps asking.
        if (standby && condition === "conflict") return;
        if (condition !== undefined && FATAL_CONDITIONS.has(condition)) {
          xmpp.reconnect.stop();
          await xmpp.stop().catch(() => undefined);
          throw new ComponentStartError(explainFatal(condition, options));
        }
        // Not logged here: the disconnect that follows says it once, with the error.
        log.debug({ err: describeError(err) }, "first connection attempt failed");
      }
      // The reconnect plugin keeps trying after a failed first attempt; wait for it.
      await new Promise<void>((resolve, reject) => {
        const onOnline = () => { cleanup(); resolve(); };
        const onError = (err: unknown) => {
          const { condition } = stanzaErrorOf(err);
          if (standby && condition === "conflict") {
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
    },

    async stop() {
      stopping = true;
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

/** The part of a socket the prompt acknowledgement needs. */
export interface AckSocket {
  readonly bytesWritten: number;
  write(data: string): boolean;
  on(event: "data", listener: () => void): unknown;
}

/**
 * Servers that keep Nagle's algorithm on (Prosody by default) hold a stanza for the component
 * until the component has acknowledged the previous one. A reply carries that ACK at once, but
 * after a result to one of the component's own requests (an adapter command, a roster write)
 * the component has nothing to send, and the kernel delays a lone ACK by up to 40 ms: the next
 * request routed to the component would wait for it. When incoming data leaves the component
 * with nothing written by the end of that turn of the event loop, one byte of whitespace
 * (RFC 6120 §4.6.1 allows it between stanzas) carries the ACK instead.
 */
export function acknowledgePromptly(socket: AckSocket, isOnline: () => boolean): void {
  let scheduled = false;
  let writtenBefore = 0;
  socket.on("data", () => {
    if (scheduled) return;
    scheduled = true;
    writtenBefore = socket.bytesWritten;
    setImmediate(() => {
      scheduled = false;
      if (socket.bytesWritten === writtenBefore && isOnline()) socket.write(" ");
    });
  });
}

/** Replies that no request of this instance waits for, tagged by another instance, go to it; theirs come in here. */
function relayReplies(xmpp: Component, relay: ReplyRelay, log: Logger): void {
  // Runs after the iq caller, which has taken every reply this instance waits for.
  xmpp.middleware.use((ctx, next) => {
    const isReply = ctx.name === "iq" && (ctx.type === "result" || ctx.type === "error");
    const tag = isReply ? /^([A-Za-z0-9]+)\./.exec(ctx.id ?? "")?.[1] : undefined;
    if (tag === undefined || tag === relay.tag) return next();
    relay.send(tag, ctx.stanza.toString());
    return undefined;
  });
  relay.onMessage((text) => {
    try {
      xmpp._onElement(parse(text) as Element);
    } catch (err) {
      log.warn({ err: describeError(err) }, "could not take a reply handed over by another instance");
    }
  });
}

/** From a request's arrival to the write of its reply, per payload ("iq:preauth", "iq:query", …). */
function timeRequests(xmpp: Component, timing: Timing): void {
  const pending = new Map<string, { t0: number; what: string }>();
  const deliver = xmpp._onElement.bind(xmpp);
  xmpp._onElement = (element) => {
    const { attrs } = element;
    if (element.name === "iq" && (attrs.type === "get" || attrs.type === "set")) {
      const payload = element.children.find((child): child is Element => typeof child !== "string");
      pending.set(`${attrs.from} ${attrs.id}`, { t0: timing.now(), what: `iq:${payload?.name ?? "empty"}` });
    }
    deliver(element);
  };
  xmpp.on("send", (element: Element) => {
    const { attrs } = element;
    if (element.name !== "iq" || (attrs.type !== "result" && attrs.type !== "error")) return;
    const key = `${attrs.to} ${attrs.id}`;
    const started = pending.get(key);
    if (!started) return;
    pending.delete(key);
    timing.report(started.what, { handledMs: timing.now() - started.t0, ...(attrs.type === "error" ? { error: 1 } : {}) });
  });
}

/**
 * @xmpp/middleware parses `from` and `to` before any handler runs and throws on a JID it cannot
 * read; thrown from the socket's data handler that would end the process. Such a request gets
 * jid-malformed instead, and anything else that slips through is logged.
 */
function shieldIncoming(xmpp: Component, log: Logger): void {
  const deliver = xmpp._onElement.bind(xmpp);
  xmpp._onElement = (element) => {
    try {
      deliver(element);
    } catch (err) {
      const { name, attrs } = element;
      log.warn({ err: describeError(err), stanza: name, from: attrs.from, to: attrs.to }, "could not handle an incoming stanza");
      if (name === "iq" && (attrs.type === "get" || attrs.type === "set")) {
        const reply = xml("iq", { type: "error", id: attrs.id, to: attrs.from, from: xmpp.jid?.toString() },
          stanzaError({ type: "modify", condition: "jid-malformed" }));
        xmpp.send(reply).catch(() => undefined);
      }
    }
  };
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

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const { condition } = stanzaErrorOf(err);
    return condition ? `${condition}: ${err.message}` : err.message;
  }
  return String(err);
}
