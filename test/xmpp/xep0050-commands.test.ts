import type { Element } from "ltx";
import { afterEach, describe, expect, it } from "vitest";
import { type Harness, createHarness } from "../helpers/xmpp-harness.js";
import { errorOf, stanza } from "../helpers/xml.js";
import { xml } from "../../src/protocol/xml.js";

const ADMIN = "admin@example.test/desk";
const ALICE = "alice@example.test/phone";
const ANON = "x1@anon.example.test/r";
const REMOTE = "bob@elsewhere.example/r";
const COMMANDS = "http://jabber.org/protocol/commands";

let h: Harness;
afterEach(() => h?.close());

const setup = (config = {}) => (h = createHarness({ admins: ["admin@example.test"], ...config }));
const execute = (node: string, from: string, extra = "", attrs = "") =>
  h.iq("set", stanza`<command xmlns="${COMMANDS}" node="${node}" action="execute" ${attrs}>${extra}</command>`, from);
const submit = (node: string, from: string, sessionid: string, fields: Record<string, string>) =>
  h.iq("set", stanza`<command xmlns="${COMMANDS}" node="${node}" sessionid="${sessionid}" action="complete"><x xmlns="jabber:x:data" type="submit">${Object.entries(fields).map(([k, v]) => `<field var="${k}"><value>${v}</value></field>`).join("")}</x></command>`, from);
const commandOf = (reply: Element) => reply.getChild("command", COMMANDS);
const formValues = (reply: Element) =>
  Object.fromEntries(commandOf(reply)?.getChild("x", "jabber:x:data")?.getChildren("field").map((f) => [f.attrs.var, f.getChildText("value")]) ?? []);
const itemNodes = async (from: string) =>
  (await h.iq("get", stanza`<query xmlns="http://jabber.org/protocol/disco#items" node="${COMMANDS}"/>`, from)).getChild("query")?.getChildren("item").map((i) => i.attrs.node);

describe("XEP-0050 commands at the component", () => {
  it("§2.2 disco#items lists only what the requester may run", async () => {
    setup();
    expect(await itemNodes(ADMIN)).toEqual([
      "urn:xmpp:invite#invite", "urn:xmpp:invite#create-account", "xmpp:prosody.im/mod_invites_adhoc#password-reset", "xmpp-invites#list", "xmpp-invites#revoke",
      "xmpp-invites#accept", "xmpp-invites#tree", "xmpp-invites#revoke-user",
    ]);
    expect(await itemNodes(ALICE)).toEqual(["urn:xmpp:invite#invite", "xmpp-invites#accept"]);
    expect(await itemNodes(ANON)).toEqual([]);
    expect(await itemNodes(REMOTE)).toEqual([]);
  });

  it("§2.2 disco#info on a command node describes it; the component advertises commands", async () => {
    setup();
    const info = await h.iq("get", stanza`<query xmlns="http://jabber.org/protocol/disco#info" node="urn:xmpp:invite#invite"/>`, ALICE);
    expect(info.getChild("query")?.getChild("identity")?.attrs).toMatchObject({ category: "automation", type: "command-node" });
    const top = await h.iq("get", stanza`<query xmlns="http://jabber.org/protocol/disco#info"/>`, ALICE);
    expect(top.getChild("query")?.getChildren("feature").map((f) => f.attrs.var)).toContain(COMMANDS);
    expect(errorOf(await h.iq("get", stanza`<query xmlns="http://jabber.org/protocol/disco#info" node="xmpp-invites#list"/>`, ALICE)).condition).toBe("forbidden");
  });

  it("XEP-0401 §5.1: a local user creates a contact invite without registration (allow_user_invites off)", async () => {
    setup();
    const reply = await execute("urn:xmpp:invite#invite", ALICE);
    expect(commandOf(reply)?.attrs.status).toBe("completed");
    const x = commandOf(reply)?.getChild("x", "jabber:x:data");
    expect(x?.attrs.type).toBe("result");
    const values = formValues(reply);
    expect(values["FORM_TYPE"]).toBe("urn:xmpp:invite#invitation");
    expect(values["uri"]).toMatch(/^xmpp:alice@example\.test\?roster;preauth=[A-Za-z0-9]{24}$/);
    expect(values["expire"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const [invite] = await h.app.invites.list();
    expect(invite).toMatchObject({ type: "contact", inviter: "alice@example.test", allowRegistration: false, source: ALICE });
  });

  it("XEP-0401 §5.1: an admin's contact invite may register (;ibr=y); so may a user's with allow_user_invites", async () => {
    setup();
    expect(formValues(await execute("urn:xmpp:invite#invite", ADMIN))["uri"]).toMatch(/;ibr=y$/);
    await h.close();
    setup({ allow_user_invites: true });
    expect(formValues(await execute("urn:xmpp:invite#invite", ALICE))["uri"]).toMatch(/^xmpp:alice@example\.test\?roster;preauth=\w+;ibr=y$/);
  });

  it("allow_contact_invites off: only admins may create contact invites", async () => {
    setup({ allow_contact_invites: false });
    expect(await itemNodes(ALICE)).toEqual(["xmpp-invites#accept"]);
    expect(errorOf(await execute("urn:xmpp:invite#invite", ALICE)).condition).toBe("forbidden");
    expect(commandOf(await execute("urn:xmpp:invite#invite", ADMIN))?.attrs.status).toBe("completed");
  });

  it("others get auth/forbidden with a note (as Prosody)", async () => {
    setup();
    for (const [node, from] of [["urn:xmpp:invite#create-account", ALICE], ["urn:xmpp:invite#invite", ANON], ["urn:xmpp:invite#invite", REMOTE], ["xmpp-invites#list", ALICE]] as const) {
      const reply = await execute(node, from);
      expect(errorOf(reply)).toEqual({ type: "auth", condition: "forbidden", text: "You don't have permission to execute this command" });
      expect(commandOf(reply)?.getChild("note")?.attrs.type).toBe("error");
    }
    expect(await h.app.invites.list()).toEqual([]);
  });

  it("XEP-0401 §5.2: create-account asks for a form, then returns the invitation", async () => {
    setup();
    const first = await execute("urn:xmpp:invite#create-account", ADMIN);
    const command = commandOf(first);
    expect(command?.attrs.status).toBe("executing");
    expect(command?.getChild("x", "jabber:x:data")?.getChildren("field").map((f) => f.attrs.var)).toEqual(["username", "roster-subscription"]);
    const done = await submit("urn:xmpp:invite#create-account", ADMIN, command?.attrs.sessionid ?? "", { username: "Newbie", "roster-subscription": "1" });
    expect(commandOf(done)?.attrs.status).toBe("completed");
    expect(formValues(done)["uri"]).toMatch(/^xmpp:newbie@example\.test\?register;preauth=/);
    expect((await h.app.invites.list())[0]).toMatchObject({ type: "account", username: "newbie", inviter: "admin@example.test" });
  });

  it("a form submitted with the first execute completes in one round trip", async () => {
    setup();
    const reply = await execute("urn:xmpp:invite#create-account", ADMIN, '<x xmlns="jabber:x:data" type="submit"><field var="username"><value></value></field></x>');
    expect(commandOf(reply)?.attrs.status).toBe("completed");
    expect(formValues(reply)["uri"]).toMatch(/^xmpp:example\.test\?register;preauth=/);
  });

  it("password reset: admins name an account of the domain and get a reset link", async () => {
    setup();
    const first = await execute("xmpp:prosody.im/mod_invites_adhoc#password-reset", ADMIN);
    const sessionid = commandOf(first)?.attrs.sessionid ?? "";
    const wrong = await submit("xmpp:prosody.im/mod_invites_adhoc#password-reset", ADMIN, sessionid, { accountjid: "alice@elsewhere.example" });
    expect(errorOf(wrong)).toMatchObject({ type: "modify", condition: "bad-request" });
    const again = await execute("xmpp:prosody.im/mod_invites_adhoc#password-reset", ADMIN);
    const done = await submit("xmpp:prosody.im/mod_invites_adhoc#password-reset", ADMIN, commandOf(again)?.attrs.sessionid ?? "", { accountjid: "alice@example.test" });
    expect(formValues(done)["uri"]).toMatch(/^xmpp:alice@example\.test\?register;preauth=/);
    expect((await h.app.invites.list())[0]).toMatchObject({ type: "reset", username: "alice" });
  });

  it("list and revoke pending invites", async () => {
    setup();
    const a = await h.app.invites.create({ note: "for Ann" });
    await h.app.invites.create({ type: "contact", inviter: "alice@example.test", allowRegistration: true });
    const list = await execute("xmpp-invites#list", ADMIN);
    const x = commandOf(list)?.getChild("x", "jabber:x:data");
    expect(x?.getChild("reported")?.getChildren("field").map((f) => f.attrs.var)).toEqual(["id", "kind", "inviter", "username", "uses", "expire", "note"]);
    const rows = x?.getChildren("item").map((item) => Object.fromEntries(item.getChildren("field").map((f) => [f.attrs.var, f.getChildText("value")])));
    expect(rows).toEqual(expect.arrayContaining([
      expect.objectContaining({ id: a.invite.id, kind: "account", uses: "0/1", note: "for Ann" }),
      expect.objectContaining({ kind: "contact+register", inviter: "alice@example.test" }),
    ]));

    const form = await execute("xmpp-invites#revoke", ADMIN);
    const options = commandOf(form)?.getChild("x", "jabber:x:data")?.getChild("field")?.getChildren("option").map((o) => o.getChildText("value"));
    expect(options).toContain(a.invite.id);
    const done = await submit("xmpp-invites#revoke", ADMIN, commandOf(form)?.attrs.sessionid ?? "", { id: a.invite.id });
    expect(commandOf(done)?.getChild("note")?.getText()).toBe(`Invite ${a.invite.id} revoked`);
    expect(await h.app.invites.validate(a.token)).toEqual({ ok: false, reason: "token-revoked" });
    expect(errorOf(await execute("xmpp-invites#revoke", ADMIN, '<x xmlns="jabber:x:data" type="submit"><field var="id"><value>nosuch</value></field></x>')).condition).toBe("item-not-found");
  });

  it("§4.4: a session belongs to its requester and command; cancel ends it", async () => {
    setup({ admins: ["admin@example.test", "other@example.test"] });
    const first = await execute("urn:xmpp:invite#create-account", ADMIN);
    const sessionid = commandOf(first)?.attrs.sessionid ?? "";
    const stolen = await submit("urn:xmpp:invite#create-account", "other@example.test/x", sessionid, { username: "x" });
    expect(errorOf(stolen).condition).toBe("bad-request");
    expect(stolen.getChild("error")?.getChild("bad-sessionid", COMMANDS)).toBeDefined();
    const canceled = await h.iq("set", stanza`<command xmlns="${COMMANDS}" node="urn:xmpp:invite#create-account" sessionid="${sessionid}" action="cancel"/>`, ADMIN);
    expect(commandOf(canceled)?.attrs.status).toBe("canceled");
    expect(errorOf(await submit("urn:xmpp:invite#create-account", ADMIN, sessionid, { username: "x" })).condition).toBe("bad-request");
    expect(await h.app.invites.list()).toEqual([]);
  });

  it("§4.4 a session begun at one instance continues at another with the same component secret (a server that spreads one client's stanzas); not at one with another secret, not once ended, not tampered", async () => {
    setup();
    const first = await execute("urn:xmpp:invite#create-account", ADMIN);
    const sessionid = commandOf(first)?.attrs.sessionid ?? "";
    const peer = createHarness({ admins: ["admin@example.test"] });
    const stranger = createHarness({ admins: ["admin@example.test"], component: { service: "xmpp://127.0.0.1:5347", domain: "invites.example.test", secret: "another-secret" } });
    try {
      const submitAt = (at: Harness, id: string) => at.iq("set", stanza`<command xmlns="${COMMANDS}" node="urn:xmpp:invite#create-account" sessionid="${id}" action="complete"><x xmlns="jabber:x:data" type="submit"><field var="username"><value>juliet</value></field></x></command>`, ADMIN);
      expect(errorOf(await submitAt(stranger, sessionid)).condition).toBe("bad-request");
      expect(errorOf(await submitAt(peer, `${sessionid.slice(0, -2)}xx`)).condition).toBe("bad-request");
      expect(commandOf(await submitAt(peer, sessionid))?.attrs.status).toBe("completed");
      expect((await peer.app.invites.list()).map((invite) => invite.username)).toEqual(["juliet"]);
      expect(errorOf(await submitAt(peer, sessionid)).condition).toBe("bad-request");
      expect(await stranger.app.invites.list()).toEqual([]);
    } finally {
      await Promise.all([peer.close(), stranger.close()]);
    }
  });

  it("an unknown node is item-not-found", async () => {
    setup();
    expect(errorOf(await execute("urn:example:nope", ADMIN)).condition).toBe("item-not-found");
  });
  it("§4.4 a submitted value XML cannot carry (XML 1.0 §2.2) gets modify/not-acceptable with a note naming the field; nothing is done", async () => {
    setup();
    const run = (node: string, from: string, fields: Record<string, string>) => h.iq("set", xml("command", { xmlns: COMMANDS, node, action: "execute" },
      xml("x", { xmlns: "jabber:x:data", type: "submit" }, Object.entries(fields).map(([name, value]) => xml("field", { var: name }, xml("value", {}, value))))), from);
    const created = await run("urn:xmpp:invite#create-account", ADMIN, { username: "ju\u0001liet" });
    expect(errorOf(created)).toMatchObject({ type: "modify", condition: "not-acceptable", text: expect.stringMatching(/^username: contains characters that are not allowed/) });
    expect(commandOf(created)?.getChildText("note")).toMatch(/^username: /);
    expect(created.toString()).not.toContain("\u0001");
    expect(await h.app.invites.list()).toEqual([]);

    const { invite, token } = await h.app.invites.create({ type: "contact", inviter: "bob@example.test" });
    const accepted = await run("xmpp-invites#accept", ALICE, { invite: `xmpp:bob@example.test?roster;preauth=${token}\uFFFF` });
    expect(errorOf(accepted)).toMatchObject({ type: "modify", condition: "not-acceptable", text: expect.stringMatching(/^invite: /) });
    expect(await h.app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
  });
});
