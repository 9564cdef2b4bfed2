// Round trips of the XEP-0133 adapter on a real server: one per command where the server takes
// the completed form with the first execute, and a working fallback where a server would not.
// Each *.contract.test.ts runs it against its server's component connection.
import type { Element } from "ltx";
import { describe, expect, it } from "vitest";
import { blankExecute, createXep0133Adapter } from "../../src/adapters/server/xep0133.js";
import type { IqRequester } from "../../src/protocol/iq.js";
import { NS } from "../../src/protocol/namespaces.js";
import { type XmppServer, canLogin } from "../helpers/clients.js";

/** The connection, counting what goes out; `alter` may change or refuse a request before it leaves. */
function counting(connection: IqRequester, alter: (request: Element) => Element | Error = (request) => request) {
  const sent: Element[] = [];
  const requester: IqRequester = {
    isOnline: () => connection.isOnline(),
    async request(stanza, timeoutMs) {
      const altered = alter(stanza);
      if (altered instanceof Error) throw altered;
      sent.push(altered);
      return connection.request(altered, timeoutMs);
    },
  };
  return { requester, sent };
}

const firstWithForm = (request: Element) => {
  const command = request.getChild("command", NS.COMMANDS);
  return command !== undefined && command.attrs.sessionid === undefined && command.getChild("x", NS.DATA_FORMS) !== undefined ? command : undefined;
};

export function describeXep0133RoundTrips(name: string, subject: () => { connection: IqRequester; server: XmppServer }): void {
  describe(`XEP-0133 round trips on ${name}`, () => {
    const unique = (base: string) => `${base}${Math.random().toString(36).slice(2, 8)}`;

    it("§4.1, §4.7, §4.2: add-user, change-user-password and delete-user take one round trip each", async () => {
      const { connection, server } = subject();
      const { requester, sent } = counting(connection);
      const adapter = createXep0133Adapter({ xmpp: requester, domain: server.domain, timeoutMs: 5000 });
      const username = unique("onetrip");
      expect(await adapter.createAccount({ username, password: "pw-one-123456" })).toEqual({ ok: true });
      expect(sent).toHaveLength(1);
      expect(await adapter.changePassword({ username, password: "pw-two-123456" })).toEqual({ ok: true });
      expect(sent).toHaveLength(2);
      expect(await canLogin(server, username, "pw-two-123456")).toBe(true);
      expect(await adapter.deleteAccount(username)).toEqual({ ok: true });
      expect(sent).toHaveLength(3);
      expect(await canLogin(server, username, "pw-two-123456")).toBe(false);
    });

    it("XEP-0050 §3.4: when the first execute arrives without the form, the form goes into the session the server opens", async () => {
      const { connection, server } = subject();
      // As a server that ignores an inline form sees it: the first execute arrives bare.
      const { requester, sent } = counting(connection, (request) => (firstWithForm(request) ? blankExecute(String(request.attrs.to), String(firstWithForm(request)?.attrs.node)) : request));
      const adapter = createXep0133Adapter({ xmpp: requester, domain: server.domain, timeoutMs: 5000 });
      const username = unique("session");
      expect(await adapter.createAccount({ username, password: "pw-sess-123456" })).toEqual({ ok: true });
      expect(sent.map((r) => r.getChild("command", NS.COMMANDS)?.attrs.action)).toEqual(["execute", "complete"]);
      expect(await canLogin(server, username, "pw-sess-123456")).toBe(true);
    });

    it("XEP-0050 §3.4: after a bad-request to a first execute with the form, the plain two steps create the account, and stay in use", async () => {
      const { connection, server } = subject();
      const refusal = Object.assign(new Error("bad-request"), { condition: "bad-request", type: "modify" });
      const { requester, sent } = counting(connection, (request) => (firstWithForm(request) ? refusal : request));
      const adapter = createXep0133Adapter({ xmpp: requester, domain: server.domain, timeoutMs: 5000 });
      const username = unique("twostep");
      expect(await adapter.createAccount({ username, password: "pw-two-step-1234" })).toEqual({ ok: true });
      expect(await canLogin(server, username, "pw-two-step-1234")).toBe(true);
      expect(await adapter.changePassword({ username, password: "pw-two-step-5678" })).toEqual({ ok: true });
      expect(await canLogin(server, username, "pw-two-step-5678")).toBe(true);
      expect(sent).toHaveLength(4);
    });
  });
}
