// docs/web.md's Prosody lines for redirecting the server's own in-band registration to the web
// door (XEP-0077 §5, mod_register_redirect), checked on a real Prosody.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProsodyServer, startProsody } from "../../tools/demo/prosody.js";
import { openRawStream } from "../helpers/raw-stream.js";

let server: ProsodyServer;

beforeAll(async () => {
  server = await startProsody({
    vhostModules: ["register_redirect"],
    vhostLines: ['registration_url = "https://invite.example.test/"', "no_registration_whitelist = true"],
  });
});
afterAll(() => server?.stop());

describe("XEP-0077 §5 redirect from Prosody to the web door", () => {
  it("answers a registration request on an unauthenticated stream with the URL, in jabber:x:oob", async () => {
    const stream = await openRawStream(server.c2sPort, server.domain);
    const reply = await stream.iq("reg", "<query xmlns='jabber:iq:register'/>", "get");
    stream.close();
    expect(reply.type).toBe("result");
    expect(reply.xml).toContain("jabber:x:oob");
    expect(reply.xml).toContain("<url>https://invite.example.test/</url>");
  });
});
