// XEP-0050 invite commands at the component, run by real clients of a real Prosody: an admin,
// a local user, an anonymous session and a user of another domain.
import type { Element } from "ltx";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import type { ProsodyServer } from "../../tools/demo/prosody.js";
import { xml } from "../../src/protocol/xml.js";
import { type Session, canLogin, login, redeemAnonymously, rosterOf } from "../helpers/clients.js";
import { type Live, startLive } from "../helpers/live.js";
import { rosterStepsDone } from "../helpers/wait.js";

const COMMANDS = "http://jabber.org/protocol/commands";
let live: Live;
let server: ProsodyServer;
let app: App;
let admin: Session;
let alice: Session;
let anon: Session;
let remote: Session;

beforeAll(async () => {
  live = await startLive({ extraHosts: ["elsewhere.test"] }, { admins: ["admin@example.test"] });
  ({ server, app } = live);
  await server.registerUser("admin", "pw-nimda-1234567");
  await server.registerUser("alice", "pw-ecila-1234567");
  await server.registerUser("bob", "pw-bob-1234567", "elsewhere.test");
  [admin, alice, anon, remote] = await Promise.all([
    login(server, "admin", "pw-nimda-1234567"),
    login(server, "alice", "pw-ecila-1234567"),
    login(server),
    login(server, "bob", "pw-bob-1234567", "elsewhere.test"),
  ]);
});

afterAll(async () => {
  await Promise.all([admin, alice, anon, remote].map((s) => s?.stop().catch(() => undefined)));
  await live?.stop();
});

function ask(session: Session, payload: Element, type: "get" | "set" = "set"): Promise<Element> {
  return session.iqCaller.request(xml("iq", { type, to: server.componentDomain }, payload), 5000);
}

async function commandNodes(session: Session): Promise<string[]> {
  const reply = await ask(session, xml("query", { xmlns: "http://jabber.org/protocol/disco#items", node: COMMANDS }), "get");
  return reply.getChild("query")?.getChildren("item").map((item) => item.attrs.node ?? "") ?? [];
}

function execute(session: Session, node: string, fields?: Record<string, string>): Promise<Element> {
  const form = fields && xml("x", { xmlns: "jabber:x:data", type: "submit" }, Object.entries(fields).map(([k, v]) => xml("field", { var: k }, xml("value", {}, v))));
  return ask(session, xml("command", { xmlns: COMMANDS, node, action: "execute" }, form));
}

function resultValues(reply: Element): Record<string, string> {
  const x = reply.getChild("command", COMMANDS)?.getChild("x", "jabber:x:data");
  return Object.fromEntries(x?.getChildren("field").map((f) => [f.attrs.var ?? "", f.getChildText("value") ?? ""]) ?? []);
}

async function refusal(promise: Promise<unknown>): Promise<{ condition?: string; type?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { condition?: string; type?: string };
  }
  throw new Error("expected an error");
}

describe("XEP-0050 / XEP-0401 commands, real clients", () => {
  it("disco#items shows each requester only what it may run", async () => {
    expect(await commandNodes(admin)).toHaveLength(8);
    expect(await commandNodes(alice)).toEqual(["urn:xmpp:invite#invite", "xmpp-invites#accept"]);
    expect(await commandNodes(anon)).toEqual([]);
    expect(await commandNodes(remote)).toEqual([]);
  });

  it("a local user's contact invite: a roster URI without ibr; the invitee cannot register with it", async () => {
    const values = resultValues(await execute(alice, "urn:xmpp:invite#invite"));
    expect(values["FORM_TYPE"]).toBe("urn:xmpp:invite#invitation");
    expect(values["uri"]).toMatch(/^xmpp:alice@example\.test\?roster;preauth=[A-Za-z0-9]+$/);
    expect(Date.parse(values["expire"] ?? "")).toBeGreaterThan(Date.now());
    const token = /preauth=(\w+)/.exec(values["uri"] ?? "")?.[1] ?? "";
    // Refused for what the token is (no registration), by a connected component: not any failure.
    expect(await redeemAnonymously(server, token, "carol", "pw-lorac-1234567")).toEqual({
      ok: false, type: "cancel", condition: "forbidden", text: "The invite token is invalid or expired",
    });
    expect(await canLogin(server, "carol", "pw-lorac-1234567")).toBe(false);
    expect((await app.invites.validate(token)).ok).toBe(true);
  });

  it("an admin's contact invite carries ;ibr=y and ends with both subscribed", async () => {
    const uri = resultValues(await execute(admin, "urn:xmpp:invite#invite"))["uri"] ?? "";
    expect(uri).toMatch(/;ibr=y$/);
    const token = /preauth=(\w+)/.exec(uri)?.[1] ?? "";
    expect((await redeemAnonymously(server, token, "dave", "pw-evad-1234567")).ok).toBe(true);
    await rosterStepsDone(app, `dave@${server.domain}`);
    await rosterStepsDone(app, "admin@example.test");
    expect((await rosterOf(server, "dave", "pw-evad-1234567")).get("admin@example.test")?.subscription).toBe("both");
    expect((await rosterOf(server, "admin", "pw-nimda-1234567")).get("dave@example.test")?.subscription).toBe("both");
  });

  it("create-account (admin, form inline) gives a link that registers", async () => {
    const values = resultValues(await execute(admin, "urn:xmpp:invite#create-account", { username: "" }));
    expect(values["uri"]).toMatch(/^xmpp:example\.test\?register;preauth=/);
    const token = /preauth=(\w+)/.exec(values["uri"] ?? "")?.[1] ?? "";
    expect((await redeemAnonymously(server, token, "erin", "pw-nire-1234567")).ok).toBe(true);
  });

  it("password reset (admin) gives a reset link for the named account, which changes its password", async () => {
    await server.registerUser("gina", "pw-anig-1234567");
    const values = resultValues(await execute(admin, "xmpp:prosody.im/mod_invites_adhoc#password-reset", { accountjid: "gina@example.test" }));
    expect(values["uri"]).toMatch(/^xmpp:gina@example\.test\?register;preauth=/);
    const token = /preauth=(\w+)/.exec(values["uri"] ?? "")?.[1] ?? "";
    expect(await redeemAnonymously(server, token, "gina", "pw-wen-anig-7654321")).toEqual({ ok: true, jid: "gina@example.test" });
    expect(await canLogin(server, "gina", "pw-wen-anig-7654321")).toBe(true);
    expect(await canLogin(server, "gina", "pw-anig-1234567")).toBe(false);
  });

  it("list and revoke (admin); a revoked invite no longer registers", async () => {
    const { invite, token } = await app.invites.create({ note: "to revoke" });
    const list = await execute(admin, "xmpp-invites#list");
    const ids = list.getChild("command", COMMANDS)?.getChild("x", "jabber:x:data")?.getChildren("item")
      .map((item) => item.getChildren("field").find((f) => f.attrs.var === "id")?.getChildText("value"));
    expect(ids).toContain(invite.id);
    const revoked = await execute(admin, "xmpp-invites#revoke", { id: invite.id });
    expect(revoked.getChild("command", COMMANDS)?.getChildText("note")).toBe(`Invite ${invite.id} revoked`);
    expect(await redeemAnonymously(server, token, "frank", "pw-knarf-1234567")).toMatchObject({ ok: false, condition: "forbidden" });
  });

  it("everyone else gets auth/forbidden", async () => {
    for (const [session, node] of [[alice, "urn:xmpp:invite#create-account"], [anon, "urn:xmpp:invite#invite"], [remote, "urn:xmpp:invite#invite"], [remote, "xmpp-invites#list"]] as const) {
      expect(await refusal(execute(session, node))).toMatchObject({ condition: "forbidden", type: "auth" });
    }
  });
});
