// ====================================================================
// XEP-0133: Service Administration — accounts through the server's ad-hoc commands
// Source: https://xmpp.org/extensions/xep-0133.html (v1.3.1), §4.1 Add User, §4.7 Change User Password,
// §4.18 Get User Statistics and §4.20 Get List of Registered Users (whether an account exists)
// Sent from the component JID to the domain: Prosody allows it when the component's domain is
// in `admins`, ejabberd when the component matches the `configure` access rule.
// ====================================================================
import type { Element } from "ltx";
import { NS } from "../../protocol/namespaces.js";
import { xml } from "../../protocol/xml.js";
import type { Account, AccountCheck, ServerAdapter } from "../../invites/ports/server.js";
import { randomBytes } from "node:crypto";
import { type IqRequester, stanzaErrorOf } from "../../protocol/iq.js";

/** What the adapter needs from the component connection. */
export interface Xep0133Options {
  readonly xmpp: IqRequester;
  readonly domain: string;
  readonly timeoutMs: number;
  /** Where the commands go: the domain (Prosody, ejabberd, Openfire), or e.g. sess-man@domain (Tigase). */
  readonly commandsJid?: string | undefined;
}

/** What a command's reply says, before each operation gives it meaning. */
export type CommandOutcome =
  | { readonly ok: true; readonly info?: string }
  | { readonly ok: false; readonly condition: string | undefined; readonly note: string | undefined; readonly detail: string };

export const ADD_USER = `${NS.ADMIN}#add-user`;
export const CHANGE_USER_PASSWORD = `${NS.ADMIN}#change-user-password`;
export const DELETE_USER = `${NS.ADMIN}#delete-user`;
export const USER_STATS = `${NS.ADMIN}#user-stats`;
export const REGISTERED_USERS = `${NS.ADMIN}#get-registered-users-list`;

/**
 * A first `execute` that already carries the completed form: Prosody's and ejabberd's ad-hoc
 * frameworks run it at once, so a command costs one round trip instead of two (execute, then
 * submit). With `sessionid`, the form is submitted into a session the server opened.
 */
export function adminCommand(to: string, node: string, fields: Record<string, string>, sessionid?: string): Element {
  return xml("iq", { type: "set", to },
    xml("command", { xmlns: NS.COMMANDS, node, action: sessionid === undefined ? "execute" : "complete", ...(sessionid === undefined ? {} : { sessionid }) },
      xml("x", { xmlns: NS.DATA_FORMS, type: "submit" },
        xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, NS.ADMIN)),
        Object.entries(fields).map(([name, value]) => xml("field", { var: name }, xml("value", {}, value))))));
}

/** The plain first step of XEP-0050 §3.4: execute with nothing, to be given the form. */
export function blankExecute(to: string, node: string): Element {
  return xml("iq", { type: "set", to }, xml("command", { xmlns: NS.COMMANDS, node, action: "execute" }));
}

/** A server that did not take the inline form answers with its own form and a session to submit into. */
export function openSession(reply: Element): string | undefined {
  const command = reply.getChild("command", NS.COMMANDS);
  return command?.attrs.status === "executing" && command.attrs.sessionid ? String(command.attrs.sessionid) : undefined;
}

function addUserFields(domain: string, account: Account): Record<string, string> {
  return { accountjid: `${account.username}@${domain}`, password: account.password, "password-verify": account.password };
}

export function addUserCommand(domain: string, account: Account, to = domain): Element {
  return adminCommand(to, ADD_USER, addUserFields(domain, account));
}

/**
 * Reads a command reply. Prosody reports failures inside a *completed* command with
 * `<note type='error'>` ("Account already exists"); ejabberd answers with an IQ error.
 */
export function readCommandReply(reply: Element): CommandOutcome {
  const command = reply.getChild("command", NS.COMMANDS);
  const errorNote = command?.getChildren("note").find((note) => note.attrs.type === "error");
  if (command?.attrs.status === "completed" && !errorNote) {
    const info = command.getChildren("note").map((note) => note.getText()).join("\n");
    return info ? { ok: true, info } : { ok: true };
  }
  if (errorNote) return { ok: false, condition: undefined, note: errorNote.getText(), detail: errorNote.getText() };
  return { ok: false, condition: "undefined-condition", note: undefined, detail: `unexpected reply: command status ${command?.attrs.status ?? "missing"}` };
}

/** An IQ error (thrown by the iq caller) or a timeout, as an outcome. */
export function readCommandError(err: unknown): Extract<CommandOutcome, { ok: false }> {
  const { condition, text } = stanzaErrorOf(err);
  const detail = [condition, text].filter(Boolean).join(": ") || String(err);
  return { ok: false, condition, note: undefined, detail };
}

const NO_ANSWER = new Set(["remote-server-timeout", "remote-server-not-found", "recipient-unavailable", "resource-constraint", undefined]);
const NOT_ALLOWED = new Set(["forbidden", "not-authorized", "not-allowed"]);
const MISSING_NOTE = /does not exist/i;

class NoAnswer extends Error {}

function isNoAnswer(outcome: CommandOutcome): boolean {
  return !outcome.ok && outcome.note === undefined && NO_ANSWER.has(outcome.condition);
}

/** What a failure means when the operation has no reading of its own. */
function commonReason(outcome: Exclude<CommandOutcome, { ok: true }>): { reason: "rejected" | "unavailable"; detail: string } {
  if (outcome.note === undefined && NO_ANSWER.has(outcome.condition)) return { reason: "unavailable", detail: outcome.detail };
  if (outcome.condition !== undefined && NOT_ALLOWED.has(outcome.condition)) {
    return { reason: "rejected", detail: `${outcome.detail} (is the component an admin of the domain?)` };
  }
  return { reason: "rejected", detail: outcome.detail };
}

export function createXep0133Adapter(options: Xep0133Options, kind = "xep0133"): ServerAdapter {
  const { xmpp, domain, timeoutMs } = options;
  const to = options.commandsJid ?? domain;
  const run = commandRunner(xmpp, to, timeoutMs);
  return {
    kind,
    ready: () => xmpp.isOnline(),
    accountExists: accountChecker(xmpp, run, () => registeredUsers(xmpp, to, timeoutMs), domain),
    async createAccount(account) {
      const outcome = await run(ADD_USER, addUserFields(domain, account));
      if (outcome.ok) return { ok: true };
      if (outcome.condition === "conflict" || /already exists/i.test(outcome.note ?? "")) return { ok: false, reason: "exists", detail: outcome.detail };
      return { ok: false, ...commonReason(outcome) };
    },
    async changePassword(account) {
      const outcome = await run(CHANGE_USER_PASSWORD, { accountjid: `${account.username}@${domain}`, password: account.password });
      if (outcome.ok) return { ok: true };
      if (outcome.condition === "item-not-found" || /does not exist|not found/i.test(outcome.note ?? "")) return { ok: false, reason: "missing", detail: outcome.detail };
      return { ok: false, ...commonReason(outcome) };
    },
    async deleteAccount(username) {
      const outcome = await run(DELETE_USER, { accountjids: `${username}@${domain}` });
      // Prosody answers a completed command either way; its note says which accounts failed.
      if (outcome.ok) return /could not be deleted/i.test(outcome.info ?? "") ? { ok: false, reason: "missing", detail: outcome.info ?? "" } : { ok: true };
      // Prosody: "The following accounts could not be deleted: …" in an error note.
      if (outcome.condition === "item-not-found" || /could not be deleted|does not exist|not found/i.test(outcome.note ?? "")) return { ok: false, reason: "missing", detail: outcome.detail };
      return { ok: false, ...commonReason(outcome) };
    },
  };
}

type RunCommand = (node: string, fields: Record<string, string>) => Promise<CommandOutcome>;
type RegisteredUsers = { ok: true; jids: Set<string> } | { ok: false; outcome: Exclude<CommandOutcome, { ok: true }> };

/** Runs an admin command with its form: in one round trip where the server takes it, else in two. */
function commandRunner(xmpp: Xep0133Options["xmpp"], to: string, timeoutMs: number): RunCommand {
  // Set once a server has refused a first execute that carries the form: from then on, two steps.
  let blankFirst = false;

  const submitInto = async (node: string, fields: Record<string, string>, first: Element): Promise<CommandOutcome> => {
    const reply = await xmpp.request(first, timeoutMs);
    const sessionid = openSession(reply);
    return sessionid === undefined ? readCommandReply(reply) : readCommandReply(await xmpp.request(adminCommand(to, node, fields, sessionid), timeoutMs));
  };

  return async (node, fields) => {
    if (!xmpp.isOnline()) return { ok: false, condition: undefined, note: undefined, detail: "component not connected" };
    try {
      if (blankFirst) return await submitInto(node, fields, blankExecute(to, node));
      // One round trip where the server takes the inline form; where it answers with its own form
      // instead, the same form goes into the session it opened.
      return await submitInto(node, fields, adminCommand(to, node, fields));
    } catch (err) {
      const refused = readCommandError(err);
      if (blankFirst || refused.condition !== "bad-request") return refused;
      // A server that will not take a form with the first execute: the plain two steps.
      try {
        const outcome = await submitInto(node, fields, blankExecute(to, node));
        blankFirst = true;
        return outcome;
      } catch (again) {
        return readCommandError(again);
      }
    }
  };
}

/** Every account of the domain, from get-registered-users-list (ejabberd answers the first execute with the complete list). */
async function registeredUsers(xmpp: Xep0133Options["xmpp"], to: string, timeoutMs: number): Promise<RegisteredUsers> {
  const command = xml("iq", { type: "set", to }, xml("command", { xmlns: NS.COMMANDS, node: REGISTERED_USERS, action: "execute" }));
  let reply: Element;
  try {
    reply = await xmpp.request(command, timeoutMs);
  } catch (err) {
    return { ok: false, outcome: readCommandError(err) };
  }
  const field = reply.getChild("command", NS.COMMANDS)?.getChild("x", NS.DATA_FORMS)?.getChildren("field").find((f) => f.attrs.var === "registereduserjids");
  if (!field) return { ok: false, outcome: { ok: false, condition: "feature-not-implemented", note: undefined, detail: "get-registered-users-list gave no list" } };
  return { ok: true, jids: new Set(field.getChildren("value").map((value) => value.getText().toLowerCase())) };
}

/**
 * How this server can tell whether an account exists, learnt once it answers: Prosody completes
 * user-stats with the note "User does not exist" for a missing account; ejabberd completes it
 * alike for both, but lists every account in get-registered-users-list. Asking about a name that
 * cannot exist tells which applies.
 */
function accountChecker(xmpp: Xep0133Options["xmpp"], run: RunCommand, listUsers: () => Promise<RegisteredUsers>, domain: string): ServerAdapter["accountExists"] {
  let method: Promise<"user-stats" | "list" | undefined> | undefined;
  const learnMethod = async (): Promise<"user-stats" | "list" | undefined> => {
    const nobody = `xmpp-invites-probe-${randomBytes(8).toString("hex")}`;
    const stats = await run(USER_STATS, { accountjid: `${nobody}@${domain}` });
    if (!stats.ok && stats.note !== undefined && MISSING_NOTE.test(stats.note)) return "user-stats";
    const list = await listUsers();
    if (list.ok) return "list";
    const silent = [stats, list.outcome].find(isNoAnswer);
    if (silent !== undefined && !silent.ok) throw new NoAnswer(silent.detail);
    return undefined;
  };
  return async (username: string): Promise<AccountCheck> => {
    if (!xmpp.isOnline()) return { exists: "unknown", detail: "component not connected" };
    method ??= learnMethod();
    let how: "user-stats" | "list" | undefined;
    try {
      how = await method;
    } catch (err) {
      method = undefined; // learn again once the server answers
      return { exists: "unknown", detail: (err as Error).message };
    }
    if (how === undefined) return { exists: "unknown", detail: "this server offers neither user-stats that reports missing accounts nor get-registered-users-list (XEP-0133)" };
    if (how === "list") {
      const list = await listUsers();
      return list.ok ? { exists: list.jids.has(`${username}@${domain}`) } : { exists: "unknown", detail: list.outcome.detail };
    }
    const stats = await run(USER_STATS, { accountjid: `${username}@${domain}` });
    if (stats.ok) return { exists: true };
    if (stats.note !== undefined && MISSING_NOTE.test(stats.note)) return { exists: false };
    return { exists: "unknown", detail: stats.detail };
  };
}

/** Whether the server lets this sender run XEP-0133 commands, asked without changing anything. */
export type AdminRight = { readonly allowed: true } | { readonly allowed: false; readonly silent: boolean; readonly detail: string };

/**
 * Opens add-user with a plain execute and cancels the session it opens (XEP-0050 §3.4.3): a server
 * that allows the sender answers with its form, one that does not with forbidden, and one that
 * drops the sender's IQs with nothing.
 */
export async function probeAdminRight(xmpp: IqRequester, to: string, timeoutMs: number): Promise<AdminRight> {
  try {
    const reply = await xmpp.request(blankExecute(to, ADD_USER), timeoutMs);
    const sessionid = openSession(reply);
    if (sessionid !== undefined) {
      await xmpp.request(xml("iq", { type: "set", to }, xml("command", { xmlns: NS.COMMANDS, node: ADD_USER, action: "cancel", sessionid })), timeoutMs).catch(() => undefined);
    }
    return { allowed: true };
  } catch (err) {
    const outcome = readCommandError(err);
    const silent = isNoAnswer(outcome);
    return { allowed: false, silent, detail: silent && outcome.condition === undefined ? `no answer within ${timeoutMs / 1000} s` : outcome.detail };
  }
}
