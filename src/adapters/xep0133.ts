// ====================================================================
// XEP-0133: Service Administration — account creation through the server's ad-hoc commands
// Source: https://xmpp.org/extensions/xep-0133.html (v1.3.1), §4.1 Add User
// Sent from the component JID to the domain: Prosody allows it when the component's domain is
// in `admins`, ejabberd when the component matches the `configure` access rule.
// ====================================================================
import type { Element } from "ltx";
import { NS } from "../xmpp/namespaces.js";
import { xml } from "../xmpp/xml.js";
import type { Account, CreateAccountResult, ServerAdapter } from "./adapter.js";

/** What the adapter needs from the component connection. */
export interface IqRequester {
  isOnline(): boolean;
  request(stanza: Element, timeoutMs: number): Promise<Element>;
}

export interface Xep0133Options {
  readonly xmpp: IqRequester;
  readonly domain: string;
  readonly timeoutMs: number;
}

const ADD_USER = `${NS.ADMIN}#add-user`;

export function addUserCommand(domain: string, account: Account): Element {
  // One round trip: Prosody and ejabberd both take the filled-in form with the first execute.
  return xml("iq", { type: "set", to: domain },
    xml("command", { xmlns: NS.COMMANDS, node: ADD_USER, action: "complete" },
      xml("x", { xmlns: NS.DATA_FORMS, type: "submit" },
        xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, NS.ADMIN)),
        xml("field", { var: "accountjid" }, xml("value", {}, `${account.username}@${domain}`)),
        xml("field", { var: "password" }, xml("value", {}, account.password)),
        xml("field", { var: "password-verify" }, xml("value", {}, account.password)))));
}

/**
 * Reads an add-user reply. Prosody reports failures inside a *completed* command with
 * `<note type='error'>` ("Account already exists"); ejabberd answers with an IQ error.
 */
export function readAddUserReply(reply: Element): CreateAccountResult {
  const command = reply.getChild("command", NS.COMMANDS);
  const errorNote = command?.getChildren("note").find((note) => note.attrs.type === "error");
  if (command?.attrs.status === "completed" && !errorNote) return { ok: true };
  if (errorNote) {
    const text = errorNote.getText();
    return /already exists/i.test(text) ? { ok: false, reason: "exists", detail: text } : { ok: false, reason: "rejected", detail: text };
  }
  return { ok: false, reason: "rejected", detail: `unexpected reply: command status ${command?.attrs.status ?? "missing"}` };
}

/** Maps an IQ error from the server (thrown by the iq caller) to a result. */
export function readAddUserError(err: unknown): CreateAccountResult {
  const condition = typeof err === "object" && err !== null ? (err as { condition?: unknown }).condition : undefined;
  const text = typeof err === "object" && err !== null ? String((err as { text?: unknown }).text ?? "") : "";
  const detail = [condition, text].filter(Boolean).join(": ") || String(err);
  switch (condition) {
    case "conflict":
      return { ok: false, reason: "exists", detail };
    case "forbidden":
    case "not-authorized":
    case "not-allowed":
      return { ok: false, reason: "rejected", detail: `${detail} (is the component an admin of the domain?)` };
    case "remote-server-timeout":
    case "remote-server-not-found":
    case "recipient-unavailable":
    case "resource-constraint":
      return { ok: false, reason: "unavailable", detail };
    case undefined:
      // No stanza error: a timeout or a dropped connection.
      return { ok: false, reason: "unavailable", detail };
    default:
      return { ok: false, reason: "rejected", detail };
  }
}

export function createXep0133Adapter(options: Xep0133Options): ServerAdapter {
  const { xmpp, domain, timeoutMs } = options;
  return {
    kind: "xep0133",
    async createAccount(account) {
      if (!xmpp.isOnline()) return { ok: false, reason: "unavailable", detail: "component not connected" };
      try {
        return readAddUserReply(await xmpp.request(addUserCommand(domain, account), timeoutMs));
      } catch (err) {
        return readAddUserError(err);
      }
    },
  };
}
