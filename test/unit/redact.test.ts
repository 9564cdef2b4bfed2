import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { REDACTED, redactFields, redactStanza, redactText, tokenMarker } from "../../src/redact.js";
import { captureLog } from "../helpers/logger.js";
import { stanza } from "../helpers/xml.js";

const TOKEN = "Tk9sEcReT0kEnAbCdEf12345";
const marker = `[token:${createHash("sha256").update(TOKEN).digest("hex").slice(0, 4)}]`;

describe("redaction", () => {
  it("marks a token with the first 4 hex digits of its SHA-256", () => {
    expect(tokenMarker(TOKEN)).toBe(marker);
  });

  it("masks tokens in xmpp: URIs, invite paths and URLs, keeping the rest", () => {
    expect(redactText(`xmpp:example.test?register;preauth=${TOKEN}`)).toBe(`xmpp:example.test?register;preauth=${marker}`);
    expect(redactText(`xmpp:romeo@example.test?roster;preauth=${TOKEN};ibr=y`)).toBe(`xmpp:romeo@example.test?roster;preauth=${marker};ibr=y`);
    expect(redactText(`POST /invite/${TOKEN}/register 200`)).toBe(`POST /invite/${marker}/register 200`);
    expect(redactText(`https://invites.example.test/invite/${TOKEN}`)).toBe(`https://invites.example.test/invite/${marker}`);
  });

  it("masks the portal's session cookie and a sign-in form body, in text and under their field names", () => {
    const session = "AbCdEfGh12345678AbCdEfGh12345678AbCdEfGh12345678";
    expect(redactText(`cookie: lang=de; xi_portal=${session}`)).toBe(`cookie: lang=de; xi_portal=${REDACTED}`);
    expect(redactText(`set-cookie: xi_portal=${session}; Path=/; HttpOnly`)).toBe(`set-cookie: xi_portal=${REDACTED}; Path=/; HttpOnly`);
    expect(redactText("csrf=abc&username=romeo&password=hunter2%21hunter2")).toBe(`csrf=abc&username=romeo&password=${REDACTED}`);
    expect(redactFields({ headers: { cookie: `xi_portal=${session}` }, body: { username: "romeo", password: "hunter2" } }))
      .toEqual({ headers: { cookie: REDACTED }, body: { username: "romeo", password: REDACTED } });
  });

  it("masks an account request's status token in /request/… paths, and any token-shaped path segment or query value", () => {
    expect(redactText(`GET /request/${TOKEN}?sent=1 200`)).toBe(`GET /request/${marker}?sent=1 200`);
    expect(redactText(`POST /request/${TOKEN} 303`)).toBe(`POST /request/${marker} 303`);
    expect(redactText(`https://invites.example.test/request/${TOKEN}`)).toBe(`https://invites.example.test/request/${marker}`);
    expect(redactText(`https://portal.example.test/welcome/${TOKEN}/start?x=1`)).toBe(`https://portal.example.test/welcome/${marker}/start?x=1`);
    expect(redactText(`https://portal.example.test/join?code=${TOKEN}&lang=de`)).toBe(`https://portal.example.test/join?code=${marker}&lang=de`);
    // Ids, routes and namespaces are not tokens.
    for (const text of ["POST /api/v1/requests/abcd2345/approve 200", "http://jabber.org/protocol/commands", "GET /static/style.css 200", "urn:xmpp:invite#invitation"]) {
      expect(redactText(text)).toBe(text);
    }
    expect(redactFields({ url: `/request/${TOKEN}?sent=1` })).toEqual({ url: `/request/${marker}?sent=1` });
  });

  it("masks what is pasted into the invite field of xmpp-invites#accept, and any token-shaped data-form value", () => {
    const accept = (value: string) => redactStanza(stanza`<iq type="set" id="1"><command xmlns="http://jabber.org/protocol/commands" node="xmpp-invites#accept">
      <x xmlns="jabber:x:data" type="submit"><field var="invite"><value>${value}</value></field></x></command></iq>`);
    for (const value of [TOKEN, ` ${TOKEN} `, `here it is: ${TOKEN}, thanks`, `https://invites.example.test/invite/${TOKEN}`, `xmpp:romeo@example.test?roster;preauth=${TOKEN}`]) {
      const text = accept(value);
      expect(text, value).not.toContain(TOKEN);
      expect(text, value).toContain(marker);
    }
    const other = redactStanza(stanza`<x xmlns="jabber:x:data" type="result"><field var="anything"><value>${TOKEN}</value></field><field var="id"><value>abcd2345</value></field>
      <item><field var="code"><value>${TOKEN}</value></field></item></x>`);
    expect(other).not.toContain(TOKEN);
    expect(other.split(marker).length - 1).toBe(2);
    expect(other).toContain("<value>abcd2345</value>");
  });

  it("masks API keys, Authorization values, URL credentials, JSON passwords and prosodyctl passwords", () => {
    expect(redactText("Authorization: Bearer xi_abcdefgh_SECRETsecretSECRETsecret12")).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactText("key xi_abcdefgh_SECRETsecretSECRETsecret12 refused")).toBe(`key xi_abcdefgh_${REDACTED} refused`);
    expect(redactText("authorization: Basic YWRtaW46aHVudGVyMg==")).toBe(`authorization: Basic ${REDACTED}`);
    expect(redactText("http://admin:hunter2@127.0.0.1:5280/api")).toBe(`http://admin:${REDACTED}@127.0.0.1:5280/api`);
    expect(redactText('{"user":"u","host":"h","password":"hu\\"nter2","newpass":"x"}')).toBe(`{"user":"u","host":"h","password":"${REDACTED}","newpass":"${REDACTED}"}`);
    expect(redactText(`{"token":"${TOKEN}","username":"u"}`)).toBe(`{"token":"${marker}","username":"u"}`);
    expect(redactText('user:create("u@example.test", "pw\\0459secret")\nuser:password("u@example.test", "other")')).toBe(`user:create("u@example.test", "${REDACTED}")\nuser:password("u@example.test", "${REDACTED}")`);
  });

  it("masks preauth tokens, register and XEP-0133 passwords, token fields, the handshake and SASL in stanzas", () => {
    const iq = stanza`<iq type="set" id="1"><query xmlns="jabber:iq:register"><username>u</username><password>hunter2hunter2</password>
      <preauth xmlns="urn:xmpp:pars:0" token="${TOKEN}"/>
      <x xmlns="jabber:x:data" type="submit"><field var="token"><value>${TOKEN}</value></field><field var="password"><value>hunter2hunter2</value></field>
      <field var="password-verify"><value>hunter2hunter2</value></field><field var="uri"><value>xmpp:example.test?register;preauth=${TOKEN}</value></field></x></query></iq>`;
    const text = redactStanza(iq);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain("hunter2");
    expect(text).toContain("jabber:iq:register");
    expect(text).toContain(`token="${marker}"`);
    expect(text).toContain(`<value>${marker}</value>`);
    expect(text).toContain(`<password>${REDACTED}</password>`);
    expect(redactStanza(stanza`<handshake>0123456789abcdef</handshake>`)).toBe(`<handshake>${REDACTED}</handshake>`);
    expect(redactStanza(stanza`<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">AGFkbWluAGh1bnRlcjI=</auth>`)).not.toContain("AGFkbWlu");
  });

  it("the logger masks fields, nested objects, errors, elements and messages at every call site", () => {
    const { log, text } = captureLog("trace");
    log.trace({ stanza: stanza`<iq><preauth xmlns="urn:xmpp:pars:0" token="${TOKEN}"/></iq>` }, "in");
    log.debug({ body: { password: "hunter2hunter2", nested: { token: TOKEN } }, url: `/invite/${TOKEN}` }, "fields");
    log.warn({ err: new Error(`could not reach http://admin:hunter2hunter2@host/invite/${TOKEN}`) }, "error");
    log.info(`message with xmpp:example.test?register;preauth=${TOKEN}`);
    log.child({ secret: "hunter2hunter2" }).info("child");
    const out = text();
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain("hunter2");
    // stanza, nested token, URL, error message and stack, message
    expect(out.split(marker).length - 1).toBe(6);
    expect(redactFields({ password: "x", list: [{ token: TOKEN }] })).toEqual({ password: REDACTED, list: [{ token: marker }] });
  });
});
