// prosody-invites.md §3.4, row by row on a real Prosody: registration_invite_only × allow_registration.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { parseConfig } from "../../src/config/load.js";
import { type ProsodyServer, startProsody } from "../../tools/demo/prosody.js";
import { xml } from "../../src/protocol/xml.js";
import { pw } from "../helpers/passwords.js";
import { canLogin, login, redeemAnonymously } from "../helpers/clients.js";
import { captureLog } from "../helpers/logger.js";

let server: ProsodyServer;

beforeAll(async () => {
  server = await startProsody();
});
afterAll(() => server?.stop());

const rows = [
  { allow_registration: false, registration_invite_only: true, withoutToken: "not-acceptable", withToken: true, advertised: true },
  { allow_registration: true, registration_invite_only: true, withoutToken: "not-acceptable", withToken: true, advertised: true },
  { allow_registration: true, registration_invite_only: false, withoutToken: "ok", withToken: true, advertised: true },
  { allow_registration: false, registration_invite_only: false, withoutToken: "service-unavailable", withToken: false, advertised: false },
] as const;

/** The anonymous "register without a token" path: register IQ only, no preauth. */
async function registerWithoutToken(username: string): Promise<string> {
  const session = await login(server);
  try {
    await session.iqCaller.request(xml("iq", { type: "set", to: server.componentDomain },
      xml("query", { xmlns: "jabber:iq:register" }, xml("username", {}, username), xml("password", {}, pw(username)))), 5000);
    return "ok";
  } catch (err) {
    return (err as { condition?: string }).condition ?? String(err);
  } finally {
    await session.stop().catch(() => undefined);
  }
}

async function advertisedFeatures(): Promise<string[]> {
  const session = await login(server);
  try {
    const reply = await session.iqCaller.request(xml("iq", { type: "get", to: server.componentDomain }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" })), 5000);
    return reply.getChild("query")?.getChildren("feature").map((f) => f.attrs.var ?? "") ?? [];
  } finally {
    await session.stop().catch(() => undefined);
  }
}

describe("registration policy on a real Prosody", () => {
  it.each(rows.map((row, i) => [i + 1, row] as const))("row %i: %o", async (n, row) => {
    const app = createApp(parseConfig({
      domain: server.domain,
      component: { service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret },
    http: { listen: "127.0.0.1:0" },
      database: ":memory:",
      allow_registration: row.allow_registration,
      registration_invite_only: row.registration_invite_only,
    }), captureLog("warn").log);
    await app.start();
    try {
      const features = await advertisedFeatures();
      expect(features.includes("jabber:iq:register")).toBe(row.advertised);
      expect(features.includes("urn:xmpp:pars:0")).toBe(row.advertised);

      expect(await registerWithoutToken(`free${n}`)).toBe(row.withoutToken);
      expect(await canLogin(server, `free${n}`, pw(`free${n}`))).toBe(row.withoutToken === "ok");

      const { token } = await app.invites.create();
      const outcome = await redeemAnonymously(server, token, `invited${n}`, pw(`invited${n}`));
      expect(outcome.ok).toBe(row.withToken);
      if (!row.withToken) expect(outcome).toMatchObject({ condition: "service-unavailable" });
    } finally {
      await app.stop();
    }
  });
});
