// ====================================================================
// XEP-0092: Software Version — which server the component (or an admin session) is attached to
// Source: https://xmpp.org/extensions/xep-0092.html (v1.1), §2 (Protocol): an IQ get with
// <query xmlns='jabber:iq:version'/> to the server's domain; the result carries <name/> and
// <version/>. Prosody answers it with mod_version (in its default modules), ejabberd with
// mod_version. What the start log and `check-config --probe` name the server by.
// ====================================================================
import { NS } from "../../protocol/namespaces.js";
import { type IqRequester, stanzaErrorOf } from "../../protocol/iq.js";
import { xml } from "../../protocol/xml.js";

export type SoftwareVersion =
  | { readonly answered: true; readonly name: string; readonly version: string | undefined }
  /** An error reply: the server is there, but does not say (e.g. mod_version not loaded). */
  | { readonly answered: false; readonly silent: false; readonly detail: string }
  /** No reply within the timeout: nothing the component sends to the server gets an answer. */
  | { readonly answered: false; readonly silent: true; readonly detail: string };

export async function askSoftwareVersion(xmpp: IqRequester, to: string, timeoutMs: number): Promise<SoftwareVersion> {
  let reply;
  try {
    reply = await xmpp.request(xml("iq", { type: "get", to }, xml("query", { xmlns: NS.VERSION })), timeoutMs);
  } catch (err) {
    const { condition, text } = stanzaErrorOf(err);
    if (condition !== undefined) return { answered: false, silent: false, detail: [condition, text].filter(Boolean).join(": ") };
    const timedOut = err instanceof Error && err.name === "TimeoutError";
    return { answered: false, silent: true, detail: timedOut ? `no answer within ${timeoutMs / 1000} s` : String(err instanceof Error ? err.message : err) };
  }
  const query = reply.getChild("query", NS.VERSION);
  const name = query?.getChildText("name")?.trim();
  if (!name) return { answered: false, silent: false, detail: "the reply names no software" };
  // Prosody 13 says "13.0.1", Debian's build of it too; ejabberd "24.12".
  const version = query?.getChildText("version")?.trim() || undefined;
  return { answered: true, name, version };
}
