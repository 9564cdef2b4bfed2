// End to end on a real ejabberd (23.01 or 24.12, whichever is installed): a contact invite redeemed at the component ends with both
// rosters "both", with the ejabberd-api adapter and with XEP-0133 plus the API's roster writes;
// an existing account accepts a contact invite with the accept command, and the inviter is told.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { parseConfig } from "../../src/config/load.js";
import type { ConfigInput } from "../../src/config/schema.js";
import { type EjabberdServer, startEjabberd } from "../../tools/demo/ejabberd.js";
import type { Element } from "ltx";
import { xml } from "../../src/protocol/xml.js";
import { canLogin, login, redeemAnonymously, rosterOf } from "../helpers/clients.js";
import { captureLog } from "../helpers/logger.js";
import { rosterStepsDone, until } from "../helpers/wait.js";

let server: EjabberdServer;

beforeAll(async () => {
  server = await startEjabberd();
  await server.registerUser("romeo", "pw-oemor-1234567");
}, 90_000);
afterAll(() => server?.stop(), 60_000);

async function contactInviteEndToEnd(adapter: ConfigInput["adapter"], invitee: string): Promise<void> {
  const app = createApp(parseConfig({
    domain: server.domain,
    component: { service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret },
    database: ":memory:",
    http: { listen: "127.0.0.1:0" },
    adapter,
  }), captureLog("warn").log);
  await app.start();
  try {
    const { token } = await app.invites.create({ type: "contact", inviter: `romeo@${server.domain}`, allowRegistration: true });
    expect(await redeemAnonymously(server, token, invitee, "pw-balcony-123")).toEqual({ ok: true, jid: `${invitee}@${server.domain}` });
    expect(await canLogin(server, invitee, "pw-balcony-123")).toBe(true);
    await rosterStepsDone(app, `${invitee}@${server.domain}`);
    expect((await rosterOf(server, "romeo", "pw-oemor-1234567")).get(`${invitee}@${server.domain}`)?.subscription).toBe("both");
    expect((await rosterOf(server, invitee, "pw-balcony-123")).get(`romeo@${server.domain}`)?.subscription).toBe("both");
  } finally {
    await app.stop();
  }
}

describe("contact invites on ejabberd", () => {
  it("ejabberd-api adapter: account and both roster items through mod_http_api", async () => {
    await contactInviteEndToEnd({ type: "ejabberd-api", url: server.apiUrl() }, "juliet");
  });

  it("xep0133 adapter from the component, rosters through the API", async () => {
    await contactInviteEndToEnd({ type: "xep0133", roster: { type: "ejabberd-api", url: server.apiUrl() } }, "rosaline");
  });
});

describe("contact invites accepted by existing accounts on ejabberd", () => {
  it("the accept command: the roster writer (ejabberd-api) subscribes both; the inviter gets a message from the component", async () => {
    await server.registerUser("benvolio", "pw-oilovneb-1234567");
    const app = createApp(parseConfig({
      domain: server.domain,
      component: { service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret },
      database: ":memory:",
      http: { listen: "127.0.0.1:0" },
      adapter: { type: "ejabberd-api", url: server.apiUrl() },
    }), captureLog("warn").log);
    await app.start();
    const romeo = await login(server, "romeo", "pw-oemor-1234567");
    const benvolio = await login(server, "benvolio", "pw-oilovneb-1234567");
    try {
      const bodies: string[] = [];
      romeo.on("stanza", (stanza: Element) => {
        if (stanza.is("message") && stanza.attrs.from === server.componentDomain) bodies.push(stanza.getChildText("body") ?? "");
      });
      await romeo.send(xml("presence"));
      const { invite, token } = await app.invites.create({ type: "contact", inviter: `romeo@${server.domain}`, note: "kinsman" });
      const form = xml("x", { xmlns: "jabber:x:data", type: "submit" }, xml("field", { var: "invite" }, xml("value", {}, `xmpp:romeo@${server.domain}?roster;preauth=${token}`)));
      await benvolio.iqCaller.request(xml("iq", { type: "set", to: server.componentDomain },
        xml("command", { xmlns: "http://jabber.org/protocol/commands", node: "xmpp-invites#accept", action: "execute" }, form)), 5000);
      await rosterStepsDone(app, `benvolio@${server.domain}`);
      expect((await rosterOf(server, "romeo", "pw-oemor-1234567")).get(`benvolio@${server.domain}`)?.subscription).toBe("both");
      expect((await rosterOf(server, "benvolio", "pw-oilovneb-1234567")).get(`romeo@${server.domain}`)?.subscription).toBe("both");
      expect((await app.invites.get(invite.id)).uses).toBe(1);
      await until(() => bodies.some((body) => body.startsWith(`benvolio@${server.domain} accepted your contact invite`) && body.includes("kinsman")), 10_000, "the notice to romeo");
    } finally {
      await Promise.all([romeo.stop(), benvolio.stop()].map((p) => p.catch(() => undefined)));
      await app.stop();
    }
  });
});
