// The component connection's concerns, each a small plugin over xmpp.js's `{ entity, middleware }`
// (as @xmpp/reconnect and @xmpp/iq are): backoff, the status log, the prompt ACK, the reply relay,
// request timing, the bad-JID shield and the send guard. component.ts installs them in a list.
import type { Component } from "@xmpp/component";
import { parse } from "ltx";
import type { Logger } from "pino";
import { traceStanzas } from "../log.js";
import { stanzaErrorOf } from "../protocol/iq.js";
import { stanzaError } from "../protocol/stanza-error.js";
import { type Element, xml } from "../protocol/xml.js";
import { guardWrites } from "../protocol/xml-text.js";
import type { Timing } from "../timing.js";

export interface Plugged {
  readonly entity: Component;
  readonly middleware: Component["middleware"];
}
export type ConnectionPlugin = (plugged: Plugged) => void;

/** What the plugins and the connection's start and stop share. */
export interface LinkState {
  /** Failed attempts since the connection was last up. */
  attempts: number;
  stopping: boolean;
  /** Refused with conflict at the last attempt: another instance holds the connection. */
  standingBy: boolean;
}

/** Stand by on conflict, asking again every `retryMs` (with jitter). */
export interface Standby {
  readonly retryMs: number;
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

const isConflict = (err: unknown) => stanzaErrorOf(err).condition === "conflict";

/**
 * Doubles the wait after each failed attempt up to `maxMs`, with jitter so many components do not
 * retry in step; a standby asks at its own short pace, so a takeover takes seconds.
 */
export function backoff(state: LinkState, delays: { readonly initialMs: number; readonly maxMs: number }, log: Logger, standby?: Standby): ConnectionPlugin {
  const { initialMs, maxMs } = delays;
  return ({ entity }) => {
    entity.reconnect.delay = initialMs;
    entity.on("online", () => {
      state.attempts = 0;
      entity.reconnect.delay = initialMs;
    });
    entity.reconnect.on("reconnecting", () => {
      state.attempts += 1;
      const next = state.standingBy && standby ? standby.retryMs : Math.min(maxMs, initialMs * 2 ** state.attempts);
      entity.reconnect.delay = Math.round(next * (0.75 + Math.random() * 0.5));
      log.debug({ attempt: state.attempts + 1 }, "connecting to the XMPP server");
    });
    entity.on("error", (err: unknown) => {
      if (!state.stopping && standby && isConflict(err)) entity.reconnect.delay = standby.retryMs;
    });
  };
}

/**
 * One line per change of the link: connected, lost, standing by, taken over. While connecting, a
 * refused or failed attempt raises an error and then a disconnect: both are folded into one
 * warning per attempt, so an outage of minutes stays readable. Installed before `backoff`, which
 * resets the attempt count this reads.
 */
export function statusLog(state: LinkState, target: { readonly service: string; readonly domain: string }, log: Logger, standby?: Standby): ConnectionPlugin {
  return ({ entity }) => {
    let wasOnline = false;
    let online = false;
    let lastError: string | undefined;
    entity.on("online", () => {
      if (state.attempts > 0 || wasOnline) log.info({ attempts: state.attempts }, "reconnected to the XMPP server");
      else log.info({ service: target.service, jid: target.domain }, "connected to the XMPP server");
      if (state.standingBy) log.info("took over the component connection from another instance");
      state.standingBy = false;
      wasOnline = true;
      online = true;
      lastError = undefined;
    });
    entity.on("disconnect", () => {
      const wasUp = online;
      online = false;
      const err = lastError === undefined ? {} : { err: lastError };
      lastError = undefined;
      if (state.stopping || state.standingBy) return;
      if (wasUp) log.warn({ retryInMs: entity.reconnect.delay, ...err }, "lost the connection to the XMPP server; reconnecting");
      else log.warn({ attempt: state.attempts + 1, retryInMs: entity.reconnect.delay, ...err }, "cannot reach the XMPP server; retrying");
    });
    entity.on("status", (status: string) => log.debug({ status }, "component connection status"));
    // Without a listener an 'error' event would throw; every error is logged and handled here.
    entity.on("error", (err: unknown) => {
      if (state.stopping) return;
      if (standby && isConflict(err)) {
        if (!state.standingBy) log.info({ retryInMs: standby.retryMs }, "another instance holds the component connection; standing by");
        state.standingBy = true;
        return;
      }
      if (online) log.warn({ err: describeError(err) }, "XMPP connection error");
      else {
        lastError = describeError(err);
        log.debug({ err: lastError }, "XMPP connection error");
      }
    });
  };
}

/** The part of a socket the prompt acknowledgement needs. */
export interface AckSocket {
  readonly bytesWritten: number;
  write(data: string): boolean;
  on(event: "data", listener: () => void): unknown;
}

/** Each new socket sends at once (no Nagle) and acknowledges promptly (see acknowledgePromptly). */
export function promptAck(): ConnectionPlugin {
  return ({ entity }) => {
    entity.on("connect", () => {
      const socket = entity.socket;
      if (!socket) return;
      socket.setNoDelay(true);
      acknowledgePromptly(socket, () => entity.status === "online");
    });
  };
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
export function replyRelay(relay: ReplyRelay, log: Logger): ConnectionPlugin {
  let noted = false;
  // A reply crossing instances proves the server spreads the component's stanzas over them.
  const note = () => {
    if (noted) return;
    noted = true;
    log.warn("several instances are connected to the component's name at once and the server spreads its stanzas over them (ejabberd's domain_balancing): "
      + "replies, preauth tokens and command sessions go through the database; its component_number must equal the number of instances (docs/operations.md, Several instances)");
  };
  return ({ entity, middleware }) => {
    // Runs after the iq caller, which has taken every reply this instance waits for.
    middleware.use((ctx, next) => {
      const isReply = ctx.name === "iq" && (ctx.type === "result" || ctx.type === "error");
      const tag = isReply ? /^([A-Za-z0-9]+)\./.exec(ctx.id ?? "")?.[1] : undefined;
      if (tag === undefined || tag === relay.tag) return next();
      note();
      relay.send(tag, ctx.stanza.toString());
      return undefined;
    });
    // A handed-over reply enters where the parser's elements do: the 'element' event the
    // middleware (and so the iq caller waiting for it) listens to.
    relay.onMessage((text) => {
      note();
      try {
        entity.emit("element", parse(text) as Element);
      } catch (err) {
        log.warn({ err: describeError(err) }, "could not take a reply handed over by another instance");
      }
    });
  };
}

/** From a request's arrival to the write of its reply, per payload ("iq:preauth", "iq:query", …). */
export function requestTiming(timing: Timing): ConnectionPlugin {
  return ({ entity }) => {
    const pending = new Map<string, { t0: number; what: string }>();
    // Ahead of the middleware's listener, so the clock starts before any handler runs (a
    // middleware would run after the iq callee, which answers without passing requests on).
    entity.prependListener("element", (element: Element) => {
      const { attrs } = element;
      if (element.name !== "iq" || (attrs.type !== "get" && attrs.type !== "set")) return;
      const payload = element.children.find((child): child is Element => typeof child !== "string");
      pending.set(`${attrs.from} ${attrs.id}`, { t0: timing.now(), what: `iq:${payload?.name ?? "empty"}` });
    });
    entity.on("send", (element: Element) => {
      const { attrs } = element;
      if (element.name !== "iq" || (attrs.type !== "result" && attrs.type !== "error")) return;
      const key = `${attrs.to} ${attrs.id}`;
      const started = pending.get(key);
      if (!started) return;
      pending.delete(key);
      timing.report(started.what, { handledMs: timing.now() - started.t0, ...(attrs.type === "error" ? { error: 1 } : {}) });
    });
  };
}

/**
 * @xmpp/middleware parses `from` and `to` before any handler runs and throws on a JID it cannot
 * read; thrown from the socket's data handler that would end the process. Such a request gets
 * jid-malformed instead, and anything else that slips through is logged. A middleware cannot
 * catch this (the throw comes before the first one runs), so each 'element' listener there is
 * at install time (the middleware's) is put back behind a try/catch, in the same order.
 */
export function incomingShield(log: Logger): ConnectionPlugin {
  return ({ entity }) => {
    for (const listener of entity.listeners("element") as Array<(element: Element) => void>) {
      entity.off("element", listener);
      entity.on("element", (element: Element) => {
        try {
          listener(element);
        } catch (err) {
          refuseUnreadable(entity, element, err, log);
        }
      });
    }
  };
}

function refuseUnreadable(entity: Component, element: Element, err: unknown, log: Logger): void {
  const { name, attrs } = element;
  log.warn({ err: describeError(err), stanza: name, from: attrs.from, to: attrs.to }, "could not handle an incoming stanza");
  if (name !== "iq" || (attrs.type !== "get" && attrs.type !== "set")) return;
  const reply = xml("iq", { type: "error", id: attrs.id, to: attrs.from, from: entity.jid?.toString() }, stanzaError({ type: "modify", condition: "jid-malformed" }));
  entity.send(reply).catch(() => undefined);
}

/**
 * A character XML cannot carry would end the stream (not-well-formed) and every request on it.
 * The guard wraps the entity's public `write`, where every serialized stanza passes: @xmpp's
 * outgoing middleware (`filter`) is never run by @xmpp/connection 0.13's `send`.
 */
export function sendGuard(log: Logger): ConnectionPlugin {
  return ({ entity }) => {
    guardWrites(entity, (fixed) => log.error(fixed, "an outgoing stanza held characters XML cannot carry; replaced with U+FFFD (the input that brought them should have been refused)"));
  };
}

/** Every stanza in and out at trace level. */
export function stanzaTrace(log: Logger): ConnectionPlugin {
  return ({ entity }) => traceStanzas(entity, log);
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const { condition } = stanzaErrorOf(err);
    return condition ? `${condition}: ${err.message}` : err.message;
  }
  return String(err);
}
