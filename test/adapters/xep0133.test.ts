import type { Element } from "ltx";
import { describe, expect, it } from "vitest";
import { addUserCommand, createXep0133Adapter } from "../../src/adapters/server/xep0133.js";
import { stanza } from "../helpers/xml.js";

function fakeServer(answer: (request: Element) => Element | Error) {
  const requests: Element[] = [];
  const xmpp = {
    online: true,
    isOnline() {
      return this.online;
    },
    async request(el: Element) {
      requests.push(el);
      const reply = answer(el);
      if (reply instanceof Error) throw reply;
      return reply;
    },
  };
  return { xmpp, requests, adapter: createXep0133Adapter({ xmpp, domain: "example.test", timeoutMs: 1000 }) };
}

const completed = (note?: string) =>
  stanza`<iq type="result"><command xmlns="http://jabber.org/protocol/commands" node="http://jabber.org/protocol/admin#add-user" status="completed">${note ?? ""}</command></iq>`;

function stanzaErrorLike(condition: string): Error {
  return Object.assign(new Error(condition), { condition, type: "cancel" });
}

describe("XEP-0133 adapter", () => {
  it("§4.1: sends add-user with the form filled in, to the domain", () => {
    const iq = addUserCommand("example.test", { username: "alice", password: "pw" });
    expect(iq.attrs).toMatchObject({ type: "set", to: "example.test" });
    const command = iq.getChild("command", "http://jabber.org/protocol/commands");
    expect(command?.attrs).toMatchObject({ node: "http://jabber.org/protocol/admin#add-user", action: "execute" });
    const values = Object.fromEntries(command?.getChild("x", "jabber:x:data")?.getChildren("field").map((f) => [f.attrs.var, f.getChildText("value")]) ?? []);
    expect(values).toEqual({ FORM_TYPE: "http://jabber.org/protocol/admin", accountjid: "alice@example.test", password: "pw", "password-verify": "pw" });
  });

  it("sends to commands_jid when set (Tigase: sess-man@domain)", async () => {
    const { xmpp, requests } = fakeServer(() => completed());
    const adapter = createXep0133Adapter({ xmpp, domain: "example.test", timeoutMs: 1000, commandsJid: "sess-man@example.test" });
    await adapter.createAccount({ username: "a", password: "p" });
    await adapter.changePassword({ username: "a", password: "q" });
    expect(requests.map((r) => r.attrs.to)).toEqual(["sess-man@example.test", "sess-man@example.test"]);
  });

  it("a completed command without an error note is success", async () => {
    const { adapter } = fakeServer(() => completed('<note type="info">Account successfully created</note>'));
    expect(await adapter.createAccount({ username: "alice", password: "pw" })).toEqual({ ok: true });
  });

  it("Prosody: 'Account already exists' comes as a completed command with an error note", async () => {
    const { adapter } = fakeServer(() => completed('<note type="error">Account already exists</note>'));
    expect(await adapter.createAccount({ username: "alice", password: "pw" })).toMatchObject({ ok: false, reason: "exists" });
  });

  it("other error notes are refusals, with the server's text kept for the log", async () => {
    const { adapter } = fakeServer(() => completed('<note type="error">Trying to add a user on anon.example.test but command was sent to example.test</note>'));
    expect(await adapter.createAccount({ username: "alice", password: "pw" })).toMatchObject({ ok: false, reason: "rejected", detail: expect.stringContaining("anon.example.test") });
  });

  it("ejabberd: an IQ conflict error means the account exists", async () => {
    const { adapter } = fakeServer(() => stanzaErrorLike("conflict"));
    expect(await adapter.createAccount({ username: "alice", password: "pw" })).toMatchObject({ ok: false, reason: "exists" });
  });

  it("forbidden says the component lacks admin rights", async () => {
    const { adapter } = fakeServer(() => stanzaErrorLike("forbidden"));
    expect(await adapter.createAccount({ username: "alice", password: "pw" })).toMatchObject({ ok: false, reason: "rejected", detail: expect.stringContaining("admin") });
  });

  it("a timeout or an offline component is 'unavailable', and nothing is sent while offline", async () => {
    const timeout = fakeServer(() => Object.assign(new Error("timeout"), { name: "TimeoutError" }));
    expect(await timeout.adapter.createAccount({ username: "a", password: "pw" })).toMatchObject({ ok: false, reason: "unavailable" });
    const offline = fakeServer(() => completed());
    offline.xmpp.online = false;
    expect(await offline.adapter.createAccount({ username: "a", password: "pw" })).toMatchObject({ ok: false, reason: "unavailable" });
    expect(offline.requests).toHaveLength(0);
  });

  it("a half-finished command is not taken for success", async () => {
    const { adapter } = fakeServer(() => stanza`<iq type="result"><command xmlns="http://jabber.org/protocol/commands" status="executing" sessionid="s"/></iq>`);
    expect(await adapter.createAccount({ username: "a", password: "pw" })).toMatchObject({ ok: false, reason: "rejected" });
  });

  it("XEP-0050 §3.4: a server that answers the inline form with its own form gets it submitted into that session", async () => {
    const { adapter, requests } = fakeServer((request) => {
      const command = request.getChild("command", "http://jabber.org/protocol/commands");
      return command?.attrs.sessionid === "s1" ? completed() : stanza`<iq type="result"><command xmlns="http://jabber.org/protocol/commands" node="http://jabber.org/protocol/admin#add-user" status="executing" sessionid="s1"><x xmlns="jabber:x:data" type="form"/></command></iq>`;
    });
    expect(await adapter.createAccount({ username: "alice", password: "pw" })).toEqual({ ok: true });
    const commands = requests.map((r) => r.getChild("command", "http://jabber.org/protocol/commands"));
    expect(commands.map((c) => [c?.attrs.action, c?.attrs.sessionid])).toEqual([["execute", undefined], ["complete", "s1"]]);
    expect(commands[1]?.getChild("x", "jabber:x:data")?.getChildren("field").find((f) => f.attrs.var === "accountjid")?.getChildText("value")).toBe("alice@example.test");
  });

  it("XEP-0050 §3.4: a server that refuses a form with the first execute gets the two plain steps, from then on directly", async () => {
    const { adapter, requests } = fakeServer((request) => {
      const command = request.getChild("command", "http://jabber.org/protocol/commands");
      if (command?.attrs.sessionid === "s2") return completed();
      if (command?.getChild("x", "jabber:x:data")) return stanzaErrorLike("bad-request");
      return stanza`<iq type="result"><command xmlns="http://jabber.org/protocol/commands" status="executing" sessionid="s2"><x xmlns="jabber:x:data" type="form"/></command></iq>`;
    });
    expect(await adapter.createAccount({ username: "alice", password: "pw" })).toEqual({ ok: true });
    expect(requests).toHaveLength(3);
    expect(await adapter.changePassword({ username: "alice", password: "pw2" })).toEqual({ ok: true });
    expect(requests).toHaveLength(5);
    expect(requests[3]?.getChild("command", "http://jabber.org/protocol/commands")?.getChild("x", "jabber:x:data")).toBeUndefined();
  });

  it("a bad request that the two steps do not fix is reported, and the next command is sent in one step again", async () => {
    const { adapter, requests } = fakeServer((request) => {
      const command = request.getChild("command", "http://jabber.org/protocol/commands");
      if (command?.attrs.sessionid) return stanzaErrorLike("bad-request");
      if (command?.getChild("x", "jabber:x:data")) return stanzaErrorLike("bad-request");
      return stanza`<iq type="result"><command xmlns="http://jabber.org/protocol/commands" status="executing" sessionid="s3"/></iq>`;
    });
    expect(await adapter.createAccount({ username: "alice", password: "pw" })).toMatchObject({ ok: false, reason: "rejected", detail: expect.stringContaining("bad-request") });
    expect(requests).toHaveLength(3);
    await adapter.createAccount({ username: "bob", password: "pw" });
    expect(requests[3]?.getChild("command", "http://jabber.org/protocol/commands")?.getChild("x", "jabber:x:data")).toBeDefined();
  });
});
