// Build stanzas with the xml() that @xmpp/component re-exports: its iq callee recognises
// replies by ltx's Element class, so a second @xmpp/xml copy could drop payloads silently.
export { xml } from "@xmpp/component";
export type { Element } from "ltx";
