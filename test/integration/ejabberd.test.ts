// End to end on a real ejabberd 23.01: a contact invite redeemed at the component ends with both
// rosters "both", with the ejabberd-api adapter and with XEP-0133 plus the API's roster writes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { parseConfig } from "../../src/config/load.js";
import type { ConfigInput } from "../../src/config/schema.js";
import { type EjabberdServer, startEjabberd } from "../../tools/demo/ejabberd.js";
import { canLogin, redeemAnonymously, rosterOf } from "../helpers/clients.js";
import { captureLog } from "../helpers/logger.js";
import { rosterStepsDone } from "../helpers/wait.js";

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
