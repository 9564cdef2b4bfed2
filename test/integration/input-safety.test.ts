// Text from outside that XML cannot carry (XML 1.0 §2.2 Char), against a real Prosody: refused at
// the doors, and what reaches the stream anyway is made safe by the send guard, so the component's
// stream is never closed with not-well-formed and admins keep working.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { generateToken, hashToken } from "../../src/invites/domain/token.js";
import { sealingKeyOf } from "../../src/invites/domain/seal.js";
import { xml } from "../../src/protocol/xml.js";
import type { ProsodyServer } from "../../tools/demo/prosody.js";
import { type Session, canLogin, login } from "../helpers/clients.js";
import { apiRegister } from "../helpers/doors.js";
import { type Live, startLive } from "../helpers/live.js";

const COMMANDS = "http://jabber.org/protocol/commands";
let live: Live;
let server: ProsodyServer;
let app: App;
let admin: Session;
/** Times the component's stream went down since the start: must stay 0. */
let disconnects = 0;
let onlines = 0;

beforeAll(async () => {
  live = await startLive({}, { admins: ["admin@example.test"], registration_requests: { enabled: true } });
  ({ server, app } = live);
  app.connection.xmpp.on("disconnect", () => { disconnects += 1; });
  app.connection.xmpp.on("online", () => { onlines += 1; });
  await server.registerUser("admin", "pw-nimda-1234567");
  admin = await login(server, "admin", "pw-nimda-1234567");
});

afterAll(async () => {
  await admin?.stop().catch(() => undefined);
  await live?.stop();
});

/** An admin runs the list of account requests: the usernames and messages it shows. */
async function listRequests(): Promise<Array<{ username: string; message: string }>> {
  const reply = await admin.iqCaller.request(xml("iq", { type: "set", to: server.componentDomain }, xml("command", { xmlns: COMMANDS, node: "xmpp-invites#requests", action: "execute" })), 5000);
  const items = reply.getChild("command", COMMANDS)?.getChild("x", "jabber:x:data")?.getChildren("item") ?? [];
  const value = (item: (typeof items)[number], name: string) => item.getChildren("field").find((f) => f.attrs.var === name)?.getChildText("value") ?? "";
  return items.map((item) => ({ username: value(item, "username"), message: value(item, "message") }));
}

async function postRequest(fields: Record<string, string>): Promise<{ status: number; body: string }> {
  const base = app.http.url();
  const home = await (await fetch(`${base}/`)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(home)?.[1] ?? "";
  const response = await fetch(`${base}/request`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf, ...fields }).toString(),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: response.status, body: await response.text() };
}

function expectLinkUp(): void {
  expect(app.connection.isOnline()).toBe(true);
  expect({ disconnects, reconnects: onlines }).toEqual({ disconnects: 0, reconnects: 0 });
  expect(live.logs.text()).not.toContain("lost the connection to the XMPP server");
}

describe("characters XML cannot carry, against Prosody: the component stays connected", () => {
  it("POST /request with U+0001 in the message is refused; a good one goes to admins, who can list requests", async () => {
    const refused = await postRequest({ username: "mallory", message: "let me in\u0001" });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain("contains characters that are not allowed");
    expect(await app.requests.list()).toEqual([]);

    expect((await postRequest({ username: "juliet", message: "Romeo's friend" })).status).toBe(303);
    expect(await listRequests()).toEqual([{ username: "juliet", message: "Romeo's friend" }]);
    expectLinkUp();
  });

  it("a request stored with U+0001 and U+FFFF (as an older version let in) is listed with U+FFFD, over the same stream", async () => {
    const now = Date.now();
    const statusToken = generateToken();
    const stored = await app.stores.accountRequests.submit({
      id: "oldbad22", username: "oldtimer", message: "from\u0001before\uFFFF", createdAt: now, expiresAt: now + 3600_000,
      statusHash: hashToken(statusToken), sealingKey: sealingKeyOf(statusToken),
    }, { now, maxPending: 100, purgeBefore: 0 });
    expect(stored).toBe("inserted");
    expect(await listRequests()).toContainEqual({ username: "oldtimer", message: "from\uFFFDbefore\uFFFD" });
    expect(live.logs.lines()).toContainEqual(expect.objectContaining({ level: 50, element: "iq", replaced: 2 }));
    expect(live.logs.text()).not.toContain("from\\u0001before");
    expectLinkUp();
  });

  it("a password with U+FFFF through POST /api/v1/registrations gets 400 at once; the invite is untouched and the next registration works", async () => {
    const { invite, token } = await app.invites.create();
    const refused = await fetch(`${app.http.url()}/api/v1/registrations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token, username: "romeo", password: "balcony\uFFFFmidnight" }),
      // A hang (the adapter waiting on a stream the server closed) fails here, not at the test's timeout.
      signal: AbortSignal.timeout(20_000),
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("invalid-characters");
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    expect(await apiRegister(app.http.url(), token, "romeo", "balcony-at-midnight")).toMatchObject({ status: 201 });
    expect(await canLogin(server, "romeo", "balcony-at-midnight")).toBe(true);
    expectLinkUp();
  });
});
