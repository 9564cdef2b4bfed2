// RFC 6120 §8.3: rendering registry errors as stanza errors.
import type { AppError, ErrorSpec } from "../errors.js";
import { NS } from "./namespaces.js";
import { type Element, xml } from "./xml.js";

export function stanzaError(spec: Pick<ErrorSpec, "type" | "condition">, text?: string): Element {
  return xml("error", { type: spec.type },
    xml(spec.condition, { xmlns: NS.STANZAS }),
    text ? xml("text", { xmlns: NS.STANZAS, "xml:lang": "en" }, text) : undefined);
}

export function errorElement(error: AppError): Element {
  return stanzaError(error.spec, error.message);
}
