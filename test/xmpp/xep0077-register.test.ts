import { afterEach, describe, expect, it } from "vitest";
import { FakeAdapter } from "../helpers/fake-adapter.js";
import { type Harness, createHarness } from "../helpers/xmpp-harness.js";
import { errorOf, stanza } from "../helpers/xml.js";
import { xml } from "../../src/protocol/xml.js";

const ANON = "x1@anon.example.test/res";
let h: Harness;
afterEach(() => h?.close());

function registerQuery(username: string, password: string, extra = "") {
  return stanza`<query xmlns="jabber:iq:register"><username>${username}</username><password>${password}</password>${extra}</query>`;
}
const preauth = (token: string) => stanza`<preauth xmlns="urn:xmpp:pars:0" token="${token}"/>`;

/**
 * What a `result` must mean: the account exists on the server with that password, the invite's
 * use is recorded (`uses` of it, none left reserved), and the redemption names who asked.
 */
async function expectRegistered(username: string, password: string, invite: { id: string; uses: number } | undefined, requester = "x1@anon.example.test"): Promise<void> {
  expect((h.adapter as unknown as FakeAdapter).accounts.get(username)).toBe(password);
  if (invite) expect(await h.app.invites.get(invite.id)).toMatchObject({ uses: invite.uses, pending: 0 });
  expect(await h.app.registration.registeredBy(requester)).toBe(`${username}@example.test`);
}

describe("XEP-0077 at the component", () => {
  it("Example 1/2: a get returns instructions, username, password and a jabber:iq:register form", async () => {
    h = createHarness();
    const reply = await h.iq("get", stanza`<query xmlns="jabber:iq:register"/>`);
    expect(reply.attrs).toMatchObject({ type: "result", to: ANON, from: "invites.example.test" });
    const query = reply.getChild("query", "jabber:iq:register");
    expect(query?.getChildText("instructions")).toMatch(/invite/);
    expect(query?.getChild("username")).toBeDefined();
    expect(query?.getChild("password")).toBeDefined();
    const form = query?.getChild("x", "jabber:x:data");
    expect(form?.attrs.type).toBe("form");
    const fields = form?.getChildren("field").map((f) => [f.attrs.var, f.attrs.type]);
    expect(fields).toEqual([["FORM_TYPE", "hidden"], ["username", "text-single"], ["password", "text-private"], ["token", "text-single"]]);
    expect(form?.getChildren("field")[0]?.getChildText("value")).toBe("jabber:iq:register");
  });

  it("Example 3: a requester that already registered is told so, with its username", async () => {
    h = createHarness();
    const { token } = await h.app.invites.create();
    await h.iq("set", registerQuery("alice", "0987654321!?", `<preauth xmlns="urn:xmpp:pars:0" token="${token}"/>`), "x1@anon.example.test/a");
    const reply = await h.iq("get", stanza`<query xmlns="jabber:iq:register"/>`, "x1@anon.example.test/other");
    const query = reply.getChild("query", "jabber:iq:register");
    expect(query?.getChild("registered")).toBeDefined();
    expect(query?.getChildText("username")).toBe("alice");
  });

  it("Example 4/5: preauth then legacy fields registers the account (XEP-0401 0.3.0 §5.5 order)", async () => {
    h = createHarness();
    const { invite, token } = await h.app.invites.create();
    expect((await h.iq("set", preauth(token))).attrs.type).toBe("result");
    const reply = await h.iq("set", registerQuery("alice", "secret-password"));
    expect(reply.attrs.type).toBe("result");
    expect(reply.children).toHaveLength(0);
    await expectRegistered("alice", "secret-password", { id: invite.id, uses: 1 });
  });

  it("Example 6: a taken username gets cancel/conflict and the invite stays usable", async () => {
    h = createHarness();
    (h.adapter as unknown as FakeAdapter).accounts.set("alice", "old");
    const { invite, token } = await h.app.invites.create();
    await h.iq("set", preauth(token));
    const reply = await h.iq("set", registerQuery("alice", "0987654321!?"));
    expect(errorOf(reply)).toEqual({ type: "cancel", condition: "conflict", text: "The requested username already exists." });
    expect(await h.app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    expect((await h.iq("set", registerQuery("alice2", "0987654321!?"))).attrs.type).toBe("result");
    await expectRegistered("alice2", "0987654321!?", { id: invite.id, uses: 1 });
  });

  it("Example 7: missing fields get modify/not-acceptable, one line per field (Prosody's text)", async () => {
    h = createHarness();
    const reply = await h.iq("set", stanza`<query xmlns="jabber:iq:register"><username/></query>`);
    expect(errorOf(reply)).toEqual({ type: "modify", condition: "not-acceptable", text: "Username: Required value missing\nPassword: Required value missing" });
    const noPassword = await h.iq("set", stanza`<query xmlns="jabber:iq:register"><username>a</username><password></password></query>`);
    expect(errorOf(noPassword).text).toBe("Password: Required value missing");
  });

  it("§4: the data form carries username, password and the token", async () => {
    h = createHarness();
    const { invite, token } = await h.app.invites.create();
    const reply = await h.iq("set", stanza`
      <query xmlns="jabber:iq:register">
        <x xmlns="jabber:x:data" type="submit">
          <field var="FORM_TYPE" type="hidden"><value>jabber:iq:register</value></field>
          <field var="username"><value>bob</value></field>
          <field var="password"><value>0987654321!?</value></field>
          <field var="token"><value>${token}</value></field>
        </x>
      </query>`);
    expect(reply.attrs.type).toBe("result");
    await expectRegistered("bob", "0987654321!?", { id: invite.id, uses: 1 });
  });

  it("§4: a form of another FORM_TYPE is a bad request", async () => {
    h = createHarness();
    const reply = await h.iq("set", stanza`
      <query xmlns="jabber:iq:register"><x xmlns="jabber:x:data" type="submit">
        <field var="FORM_TYPE"><value>urn:example:other</value></field></x></query>`);
    expect(errorOf(reply)).toMatchObject({ type: "modify", condition: "bad-request" });
  });

  it("a <preauth/> inside the query is accepted (Prosody ignores it)", async () => {
    h = createHarness();
    const { invite, token } = await h.app.invites.create();
    expect((await h.iq("set", registerQuery("carol", "0987654321!?", `<preauth xmlns="urn:xmpp:pars:0" token="${token}"/>`))).attrs.type).toBe("result");
    await expectRegistered("carol", "0987654321!?", { id: invite.id, uses: 1 });
  });

  it("no token while invite-only: modify/not-acceptable with Prosody's text", async () => {
    h = createHarness();
    const reply = await h.iq("set", registerQuery("alice", "0987654321!?"));
    expect(errorOf(reply)).toEqual({ type: "modify", condition: "not-acceptable", text: "Registration on this server is through invitation only" });
  });

  it("an invalid, used or expired token: cancel/forbidden 'The invite token is invalid or expired'", async () => {
    h = createHarness();
    const expected = { type: "cancel", condition: "forbidden", text: "The invite token is invalid or expired" };
    expect(errorOf(await h.iq("set", registerQuery("a", "0987654321!?", '<preauth xmlns="urn:xmpp:pars:0" token="nosuchtoken0000000000000"/>')))).toEqual(expected);
    const { token } = await h.app.invites.create({ expiresIn: 60 });
    h.clock.advance(61_000);
    expect(errorOf(await h.iq("set", registerQuery("a", "0987654321!?", `<preauth xmlns="urn:xmpp:pars:0" token="${token}"/>`)))).toEqual(expected);
  });

  it("one preauth is good for one registration, not the whole session (Prosody bug §6 #1)", async () => {
    h = createHarness();
    const { invite, token } = await h.app.invites.create({ maxUses: 5 });
    await h.iq("set", preauth(token));
    expect((await h.iq("set", registerQuery("first", "0987654321!?"))).attrs.type).toBe("result");
    await expectRegistered("first", "0987654321!?", { id: invite.id, uses: 1 });
    const second = await h.iq("set", registerQuery("second", "0987654321!?"));
    expect(errorOf(second).text).toBe("Registration on this server is through invitation only");
    expect((h.adapter as unknown as FakeAdapter).accounts.has("second")).toBe(false);
    expect(await h.app.invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
  });

  it("a preauth is remembered per full JID and for a short time only", async () => {
    h = createHarness();
    const { token } = await h.app.invites.create();
    await h.iq("set", preauth(token), "x1@anon.example.test/one");
    expect(errorOf(await h.iq("set", registerQuery("a", "0987654321!?"), "x1@anon.example.test/two")).condition).toBe("not-acceptable");
    h.clock.advance(5 * 60_000 + 1);
    expect(errorOf(await h.iq("set", registerQuery("a", "0987654321!?"), "x1@anon.example.test/one")).condition).toBe("not-acceptable");
  });

  it("a fixed-username invite refuses another name", async () => {
    h = createHarness();
    const { invite, token } = await h.app.invites.create({ username: "zoe" });
    await h.iq("set", preauth(token));
    const reply = await h.iq("set", registerQuery("yann", "0987654321!?"));
    expect(errorOf(reply)).toEqual({ type: "modify", condition: "not-acceptable", text: "The chosen username is not valid with this invitation" });
    expect((h.adapter as unknown as FakeAdapter).accounts.has("yann")).toBe(false);
    expect((await h.iq("set", registerQuery("zoe", "0987654321!?"))).attrs.type).toBe("result");
    await expectRegistered("zoe", "0987654321!?", { id: invite.id, uses: 1 });
  });

  it("a bad localpart gets modify/not-acceptable 'The requested username is invalid.'", async () => {
    h = createHarness();
    const { token } = await h.app.invites.create();
    await h.iq("set", preauth(token));
    for (const name of ["al ice", "a@b", "a/b", "x\u200dy"]) {
      expect(errorOf(await h.iq("set", registerQuery(name, "0987654321!?")))).toEqual({ type: "modify", condition: "not-acceptable", text: "The requested username is invalid." });
    }
  });

  it("§3.2: <remove/> does not remove server accounts", async () => {
    h = createHarness();
    const reply = await h.iq("set", stanza`<query xmlns="jabber:iq:register"><remove/></query>`);
    expect(errorOf(reply)).toMatchObject({ type: "cancel", condition: "not-allowed" });
  });

  it("a refused adapter call answers wait/internal-server-error with an incident id, and gives the use back", async () => {
    h = createHarness();
    (h.adapter as unknown as FakeAdapter).failWith = { ok: false, reason: "rejected", detail: "not-allowed" };
    const { invite, token } = await h.app.invites.create();
    const reply = await h.iq("set", registerQuery("alice", "0987654321!?", `<preauth xmlns="urn:xmpp:pars:0" token="${token}"/>`));
    const error = errorOf(reply);
    expect(error).toMatchObject({ type: "wait", condition: "internal-server-error" });
    const incident = /incident ([0-9a-f]+)/.exec(error.text ?? "")?.[1];
    expect(h.logs.lines().find((line) => line["incident"] === incident)).toMatchObject({ detail: "not-allowed" });
    expect((await h.app.invites.get(invite.id)).pending).toBe(0);
  });

  it("no answer from the server: wait/remote-server-timeout, and the use stays reserved until settled", async () => {
    h = createHarness();
    (h.adapter as unknown as FakeAdapter).failWith = { ok: false, reason: "unavailable", detail: "remote-server-timeout" };
    const { invite, token } = await h.app.invites.create();
    const reply = await h.iq("set", registerQuery("alice", "0987654321!?", `<preauth xmlns="urn:xmpp:pars:0" token="${token}"/>`));
    const error = errorOf(reply);
    expect(error).toMatchObject({ type: "wait", condition: "remote-server-timeout" });
    const incident = /incident ([0-9a-f]+)/.exec(error.text ?? "")?.[1];
    expect(h.logs.lines().find((line) => line["incident"] === incident)).toMatchObject({ detail: "remote-server-timeout" });
    expect((await h.app.invites.get(invite.id)).pending).toBe(1);
    (h.adapter as unknown as FakeAdapter).failWith = undefined;
    expect(await h.app.settlement.run("test")).toMatchObject({ released: 1 });
    expect((await h.app.invites.get(invite.id)).pending).toBe(0);
  });
});

describe("registration policy at the component (prosody-invites.md §3.4)", () => {
  it("open registration: no token needed", async () => {
    h = createHarness({ registration_invite_only: false, allow_registration: true });
    expect((await h.iq("set", registerQuery("free", "0987654321!?"))).attrs.type).toBe("result");
    await expectRegistered("free", "0987654321!?", undefined);
    const get = await h.iq("get", stanza`<query xmlns="jabber:iq:register"/>`, "other@anon.example.test/r");
    expect(get.getChild("query")?.getChildText("instructions")).not.toMatch(/invite/);
  });

  it("both off: service-unavailable for get, set and preauth, even with a valid token", async () => {
    h = createHarness({ registration_invite_only: false, allow_registration: false });
    const { token } = await h.app.invites.create();
    expect(errorOf(await h.iq("get", stanza`<query xmlns="jabber:iq:register"/>`)).condition).toBe("service-unavailable");
    expect(errorOf(await h.iq("set", preauth(token))).condition).toBe("service-unavailable");
    expect(errorOf(await h.iq("set", registerQuery("a", "0987654321!?", `<preauth xmlns="urn:xmpp:pars:0" token="${token}"/>`))).condition).toBe("service-unavailable");
  });
  it("characters XML cannot carry (XML 1.0 §2.2) get modify/not-acceptable naming the field; nothing is claimed and the echo carries none", async () => {
    h = createHarness();
    const adapter = h.adapter as unknown as FakeAdapter;
    const { invite, token } = await h.app.invites.create();
    const legacy = await h.iq("set", xml("query", { xmlns: "jabber:iq:register" },
      xml("username", {}, "romeo"), xml("password", {}, "balcony\u0001midnight"), xml("preauth", { xmlns: "urn:xmpp:pars:0", token })));
    expect(errorOf(legacy)).toMatchObject({ type: "modify", condition: "not-acceptable", text: expect.stringMatching(/^password: contains characters that are not allowed/) });
    expect(legacy.toString()).not.toMatch(/[\u0001\uFFFF]/);
    const form = await h.iq("set", xml("query", { xmlns: "jabber:iq:register" }, xml("x", { xmlns: "jabber:x:data", type: "submit" },
      xml("field", { var: "username" }, xml("value", {}, "ro\uFFFFmeo")), xml("field", { var: "password" }, xml("value", {}, "balcony-at-midnight")),
      xml("field", { var: "token" }, xml("value", {}, token)))));
    expect(errorOf(form)).toMatchObject({ type: "modify", condition: "not-acceptable", text: expect.stringMatching(/^username: /) });
    // Any refusal echoes the request without such characters: here XEP-0401's preauth with a mangled token.
    const preauthed = await h.iq("set", xml("preauth", { xmlns: "urn:xmpp:pars:0", token: `${token}\u0001` }));
    expect(errorOf(preauthed)).toMatchObject({ type: "cancel", condition: "forbidden" });
    expect(preauthed.getChild("preauth")?.attrs.token).toBe(`${token}\uFFFD`);
    expect(await h.app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    expect(adapter.calls).toBe(0);
    // The invite still works with a password a stanza can carry.
    expect((await h.iq("set", registerQuery("romeo", "balcony-at-midnight", `<preauth xmlns="urn:xmpp:pars:0" token="${token}"/>`))).attrs.type).toBe("result");
  });
});
