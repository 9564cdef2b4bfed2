// What an app does with xmpp:DOMAIN?register;preauth=T on any server with the bridge module: one
// unauthenticated stream to the server itself, the XEP-0401 preauth IQ, then XEP-0077 registration.
import { openRawStream, preauthPayload, registerPayload } from "./raw-stream.js";

export interface StreamTarget {
  readonly c2sPort: number;
  readonly domain: string;
}

export type AppOutcome =
  | { readonly step: "preauth" | "register"; readonly ok: true }
  | { readonly step: "preauth" | "register"; readonly ok: false; readonly type: string | undefined; readonly condition: string | undefined; readonly text: string | undefined };

/** Preauth (when there is a token) then register, and where it stopped. */
export async function appRegisters(server: StreamTarget, token: string | undefined, username: string, password: string): Promise<AppOutcome> {
  const stream = await openRawStream(server.c2sPort, server.domain);
  try {
    const preauth = token === undefined ? undefined : await stream.iq("p1", preauthPayload(token));
    if (preauth && preauth.type !== "result") return { step: "preauth", ...readError(preauth.xml) };
    const reply = await stream.iq("r1", registerPayload(username, password));
    return reply.type === "result" ? { step: "register", ok: true } : { step: "register", ...readError(reply.xml) };
  } finally {
    stream.close();
  }
}

/** An error reply's type, defined condition and text. */
export function readError(text: string) {
  const error = /<error[^>]*type=['"](\w+)['"][^>]*>([\s\S]*?)<\/error>/.exec(text);
  const condition = /<([a-z-]+)[^>]*xmlns=['"]urn:ietf:params:xml:ns:xmpp-stanzas['"]/.exec(error?.[2] ?? "")?.[1];
  const body = /<text[^>]*>([^<]*)<\/text>/.exec(error?.[2] ?? "")?.[1];
  return { ok: false as const, type: error?.[1], condition, text: body?.replace(/&apos;/g, "'") };
}
