// ====================================================================
// XML 1.0 §2.2 `Char`: the only characters a stanza may carry (RFC 6120 §11.1)
// Source: https://www.w3.org/TR/xml/#NT-Char
// One character outside it (U+0001, U+FFFF, a lone surrogate) and the server ends the whole
// stream with not-well-formed. Text from outside is checked here where it enters (each door
// refuses it with `invalid-characters`), and every write to an XMPP stream passes guardWrites,
// so whatever a bug lets through cannot break the stream.
// ====================================================================
import { AppError } from "../errors.js";

// With the u flag a lone surrogate is read as one code point (U+D800–U+DFFF): outside every range.
const NOT_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const NOT_CHARS = new RegExp(NOT_CHAR.source, "gu");
const MAX_DEPTH = 8;

export function isXmlText(text: string): boolean {
  return !NOT_CHAR.test(text);
}

/**
 * Where in `value` (a string, or arrays and objects of them, as a JSON body) a string holds a
 * character XML cannot carry: its path ("message", "groups.1"), or undefined when there is none.
 */
export function findNonXmlText(value: unknown, path = "", depth = 0): string | undefined {
  if (typeof value === "string") return isXmlText(value) ? undefined : path;
  if (typeof value !== "object" || value === null || depth > MAX_DEPTH) return undefined;
  for (const [key, item] of Object.entries(value)) {
    // A key is text too: it can come back as a field name.
    const at = path === "" ? key : `${path}.${key}`;
    if (!isXmlText(key)) return path === "" ? "body" : path;
    const found = findNonXmlText(item, at, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Refuses, with `invalid-characters` naming the field, the first field that XML cannot carry. */
export function checkXmlText(fields: Readonly<Record<string, unknown>>): void {
  const field = findNonXmlText(fields);
  if (field !== undefined) throw new AppError("invalid-characters", field);
}

/** `text` with each character XML cannot carry replaced by U+FFFD, and how many there were. */
export function toXmlText(text: string): { readonly text: string; readonly replaced: number } {
  if (isXmlText(text)) return { text, replaced: 0 };
  let replaced = 0;
  const safe = text.replace(NOT_CHARS, () => {
    replaced += 1;
    return "\uFFFD";
  });
  return { text: safe, replaced };
}

/** The parts of an element (ltx) that hold text. */
interface TextTree {
  readonly attrs: Record<string, string | undefined>;
  children: Array<TextTree | string>;
}

/**
 * Replaces, in place, each character XML cannot carry in the text and attribute values of
 * `element` and its descendants; returns how many there were. For a request that is echoed in
 * its error reply (RFC 6120 §8.2) after being refused for its characters.
 */
export function scrubElement(element: TextTree, depth = 0): number {
  let replaced = 0;
  for (const [name, value] of Object.entries(element.attrs)) {
    if (typeof value !== "string") continue;
    const safe = toXmlText(value);
    element.attrs[name] = safe.text;
    replaced += safe.replaced;
  }
  if (depth > 64) return replaced;
  element.children = element.children.map((child) => {
    if (typeof child !== "string") {
      replaced += scrubElement(child, depth + 1);
      return child;
    }
    const safe = toXmlText(child);
    replaced += safe.replaced;
    return safe.text;
  });
  return replaced;
}

/** The part of a connection (@xmpp/connection) every byte of the stream goes through. */
export interface StreamWriter {
  write(data: string): Promise<void>;
}

/**
 * The last guard before the socket: what a connection writes (stanzas serialised by ltx, which
 * escapes markup but passes any character through) has every character XML cannot carry replaced
 * by U+FFFD, so the stream stays well-formed. `onReplaced` hears of it, with the outgoing
 * element's name and the count only: the text itself may be a secret.
 */
export function guardWrites(connection: StreamWriter, onReplaced: (info: { element: string; replaced: number }) => void): void {
  const write = connection.write.bind(connection);
  connection.write = (data: string) => {
    const safe = toXmlText(data);
    if (safe.replaced > 0) onReplaced({ element: /^<([^\s/>]+)/.exec(data)?.[1] ?? "?", replaced: safe.replaced });
    return write(safe.text);
  };
}
