// Glue between @xmpp/iq's callee and our handlers: typed errors become stanza errors, anything
// unexpected becomes internal-server-error with an incident id in the log, never a crash.
import type { Component, IqContext, IqHandler } from "@xmpp/component";
import type { Logger } from "pino";
import { AppError, isAppError, newIncidentId } from "../errors.js";
import { isStorageFailure } from "../invites/ports/store.js";
import { errorElement, stanzaError } from "../protocol/stanza-error.js";
import type { Element } from "../protocol/xml.js";
import { scrubElement } from "../protocol/xml-text.js";

/** `true` answers with an empty result, an element with a result payload. */
export type IqReply = Element | true;

export function guarded(log: Logger, handler: (ctx: IqContext) => IqReply | Promise<IqReply>): IqHandler {
  return async (ctx) => {
    try {
      return await handler(ctx);
    } catch (err) {
      // The request is echoed in the error reply (RFC 6120 §8.2): without anything XML cannot carry.
      scrubElement(ctx.element);
      if (isAppError(err)) return errorElement(err);
      const incident = newIncidentId();
      const storage = isStorageFailure(err);
      log.error({ incident, err, from: ctx.stanza.attrs.from, payload: ctx.element.getName() }, storage ? "the database refused the request" : "unexpected error in IQ handler");
      return errorElement(new AppError(storage ? "storage-unavailable" : "internal", incident));
    }
  };
}

/**
 * The component answers only at its own bare JID; requests to any other address at its
 * domain (user@component, component/resource) get service-unavailable (RFC 6120 §8.3.3.19).
 */
export function answerOnlyAtOwnJid(xmpp: Component, domain: string): void {
  xmpp.middleware.use((ctx, next) => {
    const isRequest = ctx.name === "iq" && (ctx.type === "get" || ctx.type === "set");
    if (isRequest && ctx.to && (ctx.to.local || ctx.to.resource || ctx.to.domain !== domain)) {
      return stanzaError({ type: "cancel", condition: "service-unavailable" });
    }
    return next();
  });
}
