// What reaches the log passes through here, whatever the call site: the logger (log.ts) runs every
// line's fields, message and bindings through redactFields, so a stanza, an error, a URL or a request
// body can be logged as it is and comes out with its secrets masked. A token becomes
// `[token:ab12]` (the first 4 hex digits of its SHA-256, the hash the store keeps), so lines
// about one invite can still be matched; passwords, keys and secrets become `[redacted]`.
import type { Element } from "ltx";
import { hashToken, isWellFormedToken } from "./invites/domain/token.js";

export const REDACTED = "[redacted]";

export function tokenMarker(token: string): string {
  return `[token:${hashToken(token).toString("hex").slice(0, 4)}]`;
}

const MARKER = /^\[(?:token:[0-9a-f]{4}|redacted)\]$/;

/** Field names whose value is a credential wherever they appear (objects, JSON, forms). */
// The portal's sign-in form posts `password`; its session cookie (xi_portal) travels in cookie headers.
const SECRET_NAMES = new Set(["password", "password-verify", "newpass", "oldpass", "confirm", "secret", "authorization", "credentials", "passwd", "cookie", "set-cookie", "xi_portal"]);
const TOKEN_NAMES = new Set(["token", "preauth"]);

const markToken = (token: string) => (MARKER.test(token) ? token : tokenMarker(token));

const TEXT_RULES: ReadonlyArray<[RegExp, (...groups: string[]) => string]> = [
  // The portal's session cookie and a sign-in form body (password=…), as a header or body dump shows them
  [/\b(xi_portal=|password=)[^;&\s"']+/g, (_m, key = "") => `${key}${REDACTED}`],
  // xmpp:example.org?register;preauth=TOKEN, ?token=TOKEN in any URL
  [/\b(preauth=|token=)([A-Za-z0-9]+)/g, (_m, key = "", token = "") => `${key}${tokenMarker(token)}`],
  // /invite/TOKEN, /invite/TOKEN/register and an account request's /request/STATUS_TOKEN, alone or in a URL
  [/(\/(?:invite|request)\/)([A-Za-z0-9]{8,128})/g, (_m, path = "", token = "") => `${path}${tokenMarker(token)}`],
  // Any other path segment or query value shaped like a token (letters and digits, 16 to 128)
  [/([/=])([A-Za-z0-9]{16,128})(?=$|[/?#;&\s"'<>)\]])/g, (_m, before = "", token = "") => `${before}${tokenMarker(token)}`],
  // Authorization header values, alone or in a header dump
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, (_m, scheme = "") => `${scheme} ${REDACTED}`],
  // API keys (xi_<id>_<secret>): the id is not secret and says which key it was
  [/\b(xi_[a-z2-9]{8}_)[A-Za-z0-9]+/g, (_m, id = "") => `${id}${REDACTED}`],
  // user:password@ in a URL
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s/@:]*):[^\s/@]*@/gi, (_m, start = "") => `${start}:${REDACTED}@`],
  // JSON bodies: "password": "…", "token": "…"
  [/"([A-Za-z_-]+)"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g, (whole, key = "", colon = "", value = "") => {
    const name = key.toLowerCase();
    if (SECRET_NAMES.has(name)) return `"${key}"${colon}"${REDACTED}"`;
    if (TOKEN_NAMES.has(name)) return `"${key}"${colon}"${markToken(value)}"`;
    return whole;
  }],
  // prosodyctl shell input: user:create("jid", "password"), user:password("jid", "password")
  [/(user:(?:create|password)\(\s*"[^"]*"\s*,\s*)"[^"]*"/g, (_m, start = "") => `${start}"${REDACTED}"`],
];

/** Masks every secret a free-form string can carry (URIs, URLs, headers, JSON, shell input). */
export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replace] of TEXT_RULES) out = out.replace(pattern, (...args: unknown[]) => replace(...args.filter((arg): arg is string => typeof arg === "string")));
  return out;
}

const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const NS_DATA_FORMS = "jabber:x:data";

export function isElement(value: unknown): value is Element {
  return typeof value === "object" && value !== null && typeof (value as Element).name === "string"
    && typeof (value as Element).attrs === "object" && Array.isArray((value as Element).children);
}

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

type TextMask = (text: string) => string;
const whole: TextMask = () => REDACTED;

/** How an element's text is masked, if it is a secret: passwords, handshakes, SASL data, token elements and fields. */
function maskFor(element: Element, inheritedNs: string | undefined): TextMask | undefined {
  const ns = element.attrs.xmlns ?? inheritedNs;
  const name = element.name.includes(":") ? element.name.slice(element.name.indexOf(":") + 1) : element.name;
  if (name === "password" || name === "handshake" || ns === NS_SASL) return whole;
  if (name === "token") return (text) => (text.trim() ? markToken(text.trim()) : text);
  if (name === "field" && ns === NS_DATA_FORMS) {
    const field = (element.attrs.var ?? "").toLowerCase();
    if (SECRET_NAMES.has(field) || element.attrs.type === "text-private") return whole;
    if (TOKEN_NAMES.has(field)) return (text) => (text.trim() ? markToken(text.trim()) : text);
    // Where a person pastes an invite (xmpp-invites#accept): its link, or the bare token amid anything.
    if (field === "invite") return (text) => redactText(text).replace(/\b[A-Za-z0-9]{16,128}\b/g, markToken);
    return formValue;
  }
  return undefined;
}

/** Any data-form value: a value that is all token (letters and digits, 16 to 128) is taken for one. */
const formValue: TextMask = (text) => (isWellFormedToken(text.trim()) ? markToken(text.trim()) : redactText(text));

function serialize(element: Element, inheritedNs: string | undefined, inherited: TextMask | undefined): string {
  const ns = element.attrs.xmlns ?? inheritedNs;
  const mask = maskFor(element, inheritedNs) ?? inherited;
  let out = `<${element.name}`;
  for (const [name, value] of Object.entries(element.attrs)) {
    if (value === undefined || value === null) continue;
    const text = String(value);
    const shown = TOKEN_NAMES.has(name.toLowerCase()) ? markToken(text) : SECRET_NAMES.has(name.toLowerCase()) ? REDACTED : redactText(text);
    out += ` ${name}="${escapeXml(shown)}"`;
  }
  if (element.children.length === 0) return `${out}/>`;
  out += ">";
  for (const child of element.children) {
    if (typeof child === "string") out += escapeXml(mask ? mask(child) : redactText(child));
    else if (isElement(child)) out += serialize(child, ns, mask);
  }
  return `${out}</${element.name}>`;
}

/**
 * A stanza as XML with its secrets masked: preauth tokens (XEP-0401/0445 elements and
 * attributes), token and password fields of data forms (XEP-0077, XEP-0133), <password/>,
 * the component handshake, SASL exchanges; every other text through redactText.
 */
export function redactStanza(element: Element): string {
  return serialize(element, undefined, undefined);
}

/** A log line's fields with every secret masked; returns new objects, never changes its input. */
export function redactFields(value: unknown, key = "", depth = 0): unknown {
  const name = key.toLowerCase();
  if (typeof value === "string") {
    if (MARKER.test(value)) return value;
    if (SECRET_NAMES.has(name)) return REDACTED;
    if (TOKEN_NAMES.has(name)) return value === "" ? value : tokenMarker(value);
    return redactText(value);
  }
  if (typeof value !== "object" || value === null) return value;
  if (SECRET_NAMES.has(name)) return REDACTED;
  if (isElement(value)) return redactStanza(value);
  if (depth > 8) return "[nested too deep]";
  if (value instanceof Error) {
    const error = value as Error & Record<string, unknown>;
    const out: Record<string, unknown> = { type: error.name, message: redactText(error.message) };
    if (error.stack) out["stack"] = redactText(error.stack);
    for (const field of ["condition", "code", "text"]) if (field in error) out[field] = redactFields(error[field], field, depth + 1);
    if (error.cause !== undefined) out["cause"] = redactFields(error.cause, "cause", depth + 1);
    return out;
  }
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (Array.isArray(value)) return value.map((item) => redactFields(item, key, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [field, item] of Object.entries(value)) out[field] = redactFields(item, field, depth + 1);
  return out;
}
