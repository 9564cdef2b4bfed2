import { createRequire } from "node:module";
import type { Element } from "ltx";

// @xmpp/component (CommonJS) builds and checks elements with ltx's CommonJS build; importing
// "ltx" from ESM would load its other build, whose Element class fails those instanceof checks.
const { parse } = createRequire(import.meta.url)("ltx") as typeof import("ltx");

/** Parses XML written readably in a test: whitespace between tags is dropped. */
export function stanza(strings: TemplateStringsArray, ...values: unknown[]): Element {
  const text = strings.reduce((acc, part, i) => acc + part + (i < values.length ? String(values[i]) : ""), "");
  return parse(text.replace(/>\s+</g, "><").trim());
}

export interface ErrorParts {
  readonly type: string | undefined;
  readonly condition: string | undefined;
  readonly text: string | undefined;
}

/** type / condition / text of an IQ error reply. */
export function errorOf(reply: Element): ErrorParts {
  const error = reply.getChild("error");
  const condition = error?.getChildElements().find((child) => child.getNS() === "urn:ietf:params:xml:ns:xmpp-stanzas" && child.name !== "text");
  return {
    type: error?.attrs.type,
    condition: condition?.name,
    text: error?.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas") ?? undefined,
  };
}
