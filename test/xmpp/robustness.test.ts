// Malformed or unexpected stanzas get a stanza error (or, for non-requests, nothing), never a crash;
// and nothing the component writes can break its stream.
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { xml } from "../../src/protocol/xml.js";
import { createComponentConnection } from "../../src/xmpp/component.js";
import { captureLog } from "../helpers/logger.js";
import { FakeAdapter } from "../helpers/fake-adapter.js";
import { type Harness, COMPONENT, createHarness } from "../helpers/xmpp-harness.js";
import { errorOf, stanza } from "../helpers/xml.js";

let h: Harness;
afterEach(() => h?.close());

describe("malformed input", () => {
  it("RFC 6120 §8.2.3: an IQ with two payloads is a bad request", async () => {
    h = createHarness();
    h.receive(xml("iq", { type: "get", id: "two", from: "a@b/c", to: COMPONENT }, xml("query", { xmlns: "jabber:iq:register" }), xml("ping", { xmlns: "urn:xmpp:ping" })));
    expect(errorOf(await h.nextSent())).toMatchObject({ type: "modify", condition: "bad-request" });
  });

  it("a request from an unreadable JID gets jid-malformed instead of crashing the process", async () => {
    h = createHarness();
    expect(() => h.receive(stanza`<iq type="get" id="bad" from="a@" to="${COMPONENT}"><ping xmlns="urn:xmpp:ping"/></iq>`)).not.toThrow();
    const reply = await h.nextSent();
    expect(reply.attrs).toMatchObject({ type: "error", id: "bad", to: "a@" });
    expect(errorOf(reply)).toMatchObject({ type: "modify", condition: "jid-malformed" });
    expect((await h.iq("get", stanza`<ping xmlns="urn:xmpp:ping"/>`)).attrs.type).toBe("result");
  });

  it("an unknown payload is service-unavailable", async () => {
    h = createHarness();
    expect(errorOf(await h.iq("get", stanza`<query xmlns="urn:example:unknown"/>`)).condition).toBe("service-unavailable");
  });

  it("requests to other JIDs at the component's domain are service-unavailable", async () => {
    h = createHarness();
    expect(errorOf(await h.iq("get", stanza`<ping xmlns="urn:xmpp:ping"/>`, "a@b/c", `bot@${COMPONENT}`)).condition).toBe("service-unavailable");
    expect(errorOf(await h.iq("get", stanza`<ping xmlns="urn:xmpp:ping"/>`, "a@b/c", `${COMPONENT}/res`)).condition).toBe("service-unavailable");
  });

  it("a register form that is not a submit is a bad request", async () => {
    h = createHarness();
    const reply = await h.iq("set", stanza`<query xmlns="jabber:iq:register"><x xmlns="jabber:x:data" type="form"/></query>`);
    expect(errorOf(reply).condition).toBe("bad-request");
  });

  it("huge and odd field values are refused cleanly", async () => {
    h = createHarness();
    const { token } = await h.app.invites.create();
    const long = "x".repeat(5000);
    const reply = await h.iq("set", stanza`<query xmlns="jabber:iq:register"><username>${long}</username><password>0987654321!?</password><preauth xmlns="urn:xmpp:pars:0" token="${token}"/></query>`);
    expect(errorOf(reply).text).toBe("The requested username is invalid.");
  });

  it("an exception deep inside becomes internal-server-error with an incident id, and the component keeps serving", async () => {
    h = createHarness();
    const adapter = h.adapter as unknown as FakeAdapter;
    const { token } = await h.app.invites.create();
    // Break the database under the registration: the unexpected path, not a typed refusal.
    const original = h.app.invites.claimChecked.bind(h.app.invites);
    h.app.invites.claimChecked = () => {
      throw new TypeError("boom");
    };
    const reply = await h.iq("set", stanza`<query xmlns="jabber:iq:register"><username>a</username><password>0987654321!?</password><preauth xmlns="urn:xmpp:pars:0" token="${token}"/></query>`);
    const error = errorOf(reply);
    expect(error).toMatchObject({ type: "wait", condition: "internal-server-error" });
    const incident = /incident ([0-9a-f]+)/.exec(error.text ?? "")?.[1];
    expect(h.logs.lines().some((line) => line["incident"] === incident && String((line["err"] as { message?: string })?.message).includes("boom"))).toBe(true);
    h.app.invites.claimChecked = original;
    expect((await h.iq("get", stanza`<ping xmlns="urn:xmpp:ping"/>`)).attrs.type).toBe("result");
    expect(adapter.calls).toBe(0);
  });

  it("messages, presences and stray results get no reply", async () => {
    h = createHarness();
    h.receive(stanza`<message from="a@b/c" to="${COMPONENT}"><body>hi</body></message>`);
    h.receive(stanza`<presence from="a@b/c" to="${COMPONENT}" type="subscribe"/>`);
    h.receive(stanza`<iq type="result" id="nobody-asked" from="a@b/c" to="${COMPONENT}"/>`);
    await expect(h.nextSent(200)).rejects.toThrow("sent nothing");
  });
});

/** Code points outside XML 1.0 §2.2 Char, checked here without the code under test. */
const nonChars = (text: string) => [...text].map((c) => c.codePointAt(0) ?? 0).filter((cp) =>
  !(cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)));

describe("the send guard on the component's stream", () => {
  it("XML 1.0 §2.2: a stanza with U+0001 in an attribute and U+0001, U+FFFF and a lone surrogate in text goes out well-formed, logged without its text", async () => {
    const logs = captureLog();
    const { xmpp } = createComponentConnection({ service: "xmpp://127.0.0.1:5347", domain: COMPONENT, secret: "test-secret", log: logs.log });
    const written: string[] = [];
    xmpp.socket = { write: (data: string, done: (err?: Error) => void) => { written.push(data); done(); } } as unknown as Socket;
    xmpp._jid(COMPONENT);
    xmpp.status = "online";
    await xmpp.send(xml("message", { to: "admin@example.test", id: "m\u0001" }, xml("body", {}, "secretword\u0001 and \uFFFF\uD800")));
    const out = written.join("");
    expect(nonChars(out)).toEqual([]);
    const sent = stanza`${out}`;
    expect(sent.attrs.id).toBe("m\uFFFD");
    expect(sent.getChildText("body")).toBe("secretword\uFFFD and \uFFFD\uFFFD");
    expect(logs.lines()).toContainEqual(expect.objectContaining({ level: 50, element: "message", replaced: 4 }));
    expect(logs.text()).not.toContain("secretword");
    // A clean stanza is written as it is, and not logged.
    written.length = 0;
    await xmpp.send(xml("message", { to: "admin@example.test", id: "ok" }, xml("body", {}, "héllo 😀")));
    expect(written.join("")).toContain("<body>héllo 😀</body>");
    expect(logs.lines().filter((line) => line["level"] === 50)).toHaveLength(1);
  });
});
