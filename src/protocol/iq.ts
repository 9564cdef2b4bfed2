// Sending an IQ and awaiting its answer: what the component connection and an admin client
// session both offer, and what the XEP-0133 and XEP-0356 code needs.
import type { Element } from "./xml.js";

export interface IqRequester {
  isOnline(): boolean;
  /** Resolves with the result; rejects with a stanza error (see `stanzaErrorOf`) or a timeout. */
  request(stanza: Element, timeoutMs: number): Promise<Element>;
}

/** The condition, type and text of a stanza error thrown by @xmpp/iq, when `err` is one. */
export function stanzaErrorOf(err: unknown): { condition?: string; type?: string; text?: string } {
  if (typeof err !== "object" || err === null) return {};
  const { condition, type, text } = err as { condition?: unknown; type?: unknown; text?: unknown };
  return {
    ...(typeof condition === "string" ? { condition } : {}),
    ...(typeof type === "string" ? { type } : {}),
    ...(typeof text === "string" && text !== "" ? { text } : {}),
  };
}
