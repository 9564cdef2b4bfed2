// ejabberd's mod_http_api: accounts (register, check_account, change_password, unregister) and
// rosters (add_rosteritem with subs=both). Beware: commands that return a "rescode" answer HTTP 200
// with the body 1 on failure, so every body is read. add_rosteritem changed its arguments in API
// version 1 (ejabberd 24.02): `group` ("a;b") became `groups` (a list); the version `status` reports
// picks the shape, and a 400 naming the other argument (an API pinned by `default_version`) switches.
import type { Logger } from "pino";
import type { Account, ChangePasswordResult, CreateAccountResult, ServerAdapter } from "../../invites/ports/server.js";
import type { RosterResult, RosterWriter } from "../../invites/ports/roster.js";
import { parseJid } from "../../protocol/jid.js";

export interface EjabberdApiOptions {
  /** e.g. http://127.0.0.1:5280/api */
  readonly url: string;
  readonly domain: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly timeoutMs: number;
  /** Request and response bodies at trace (the logger masks their passwords). */
  readonly log?: Logger | undefined;
}

type Call = { ok: true; status: number; body: unknown } | { ok: false; reason: "unavailable"; detail: string };

/** The ejabberd version in `status`'s answer ("… ejabberd 24.12 is running in that node"). */
export function ejabberdVersionOf(status: unknown): string | undefined {
  // A plain string on newer servers; older ones wrap it (restuple), so look inside whatever came.
  const text = typeof status === "string" ? status : JSON.stringify(status ?? "");
  return /\bejabberd (\d+\.\d+(?:\.\d+)*)\S* is running/.exec(text)?.[1];
}

/** How add_rosteritem takes its groups: API version 1 (ejabberd 24.02 and later) or 0. */
export type RosterItemShape = "groups" | "group";

export function rosterItemShape(version: string | undefined): RosterItemShape {
  if (version === undefined) return "groups";
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 24 || (major === 24 && minor >= 2) ? "groups" : "group";
}

export interface EjabberdApi {
  readonly adapter: ServerAdapter;
  readonly roster: RosterWriter;
  /** The server's version from the `status` command, once it answers (undefined: not allowed or not reachable). */
  version(): Promise<string | undefined>;
}

export function createEjabberdApi(options: EjabberdApiOptions): EjabberdApi {
  const client = commandClient(options);
  const version = statusVersion(client);
  return { adapter: accountAdapter(client), roster: rosterWriter(client, version), version };
}

type Failure = { ok: false; reason: "rejected" | "unavailable"; detail: string };

/** mod_http_api's commands over HTTP, and how their answers read. */
interface CommandClient {
  call(command: string, args: Record<string, string | string[]>): Promise<Call>;
  /** Whether the last call reached the server. */
  reachable(): boolean;
  describe(command: string, status: number, body: unknown): string;
  failure(command: string, result: Call): Failure;
  /** rescode commands: 0 is success, anything else failure, even with HTTP 200. */
  rescodeOk(result: Call): boolean;
  user(username: string): { user: string; host: string };
  /** check_account: a boolean, or the call that did not say. */
  exists(username: string): Promise<boolean | Call>;
}

function commandClient(options: EjabberdApiOptions): CommandClient {
  const base = options.url.replace(/\/$/, "");
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.username !== undefined) {
    headers["authorization"] = `Basic ${Buffer.from(`${options.username}:${options.password ?? ""}`).toString("base64")}`;
  }
  let reachable = true;
  const call = async (command: string, args: Record<string, string | string[]>): Promise<Call> => {
    const body = JSON.stringify(args);
    options.log?.trace({ url: `${base}/${command}`, body }, "ejabberd API request");
    try {
      const response = await fetch(`${base}/${command}`, { method: "POST", headers, body, signal: AbortSignal.timeout(options.timeoutMs) });
      reachable = true;
      const text = await response.text();
      options.log?.trace({ command, status: response.status, body: text.slice(0, 2000) }, "ejabberd API response");
      return { ok: true, status: response.status, body: jsonOrText(text) };
    } catch (err) {
      reachable = false;
      return { ok: false, reason: "unavailable", detail: `${command}: ${(err as Error).name === "TimeoutError" ? "timed out" : (err as Error).message}` };
    }
  };
  const describe = (command: string, status: number, body: unknown) => `${command}: HTTP ${status} ${typeof body === "string" ? body : JSON.stringify(body)}`.slice(0, 300);
  const user = (username: string) => ({ user: username, host: options.domain });
  return {
    call,
    reachable: () => reachable,
    describe,
    failure: (command, result) =>
      result.ok ? { ok: false, reason: result.status >= 500 ? "unavailable" : "rejected", detail: describe(command, result.status, result.body) } : result,
    rescodeOk: (result) => result.ok && result.status === 200 && result.body === 0,
    user,
    exists: async (username) => {
      const result = await call("check_account", user(username));
      if (!result.ok) return result;
      if (result.status === 200 && (result.body === 0 || result.body === 1)) return result.body === 0;
      return result;
    },
  };
}

function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // a plain-text answer
  }
}

function accountAdapter(client: CommandClient): ServerAdapter {
  const { call, describe, failure, exists, user } = client;
  return {
    kind: "ejabberd-api",
    async accountExists(username) {
      const known = await exists(username);
      if (typeof known === "boolean") return { exists: known };
      return { exists: "unknown", detail: known.ok ? describe("check_account", known.status, known.body) : known.detail };
    },
    async createAccount(account: Account): Promise<CreateAccountResult> {
      const result = await call("register", { ...user(account.username), password: account.password });
      if (result.ok && result.status === 200) return { ok: true };
      if (result.ok && result.status === 409) return { ok: false, reason: "exists", detail: describe("register", result.status, result.body) };
      return failure("register", result);
    },
    async changePassword(account: Account): Promise<ChangePasswordResult> {
      const known = await exists(account.username);
      if (known === false) return { ok: false, reason: "missing", detail: "check_account: no such account" };
      if (known !== true) return failure("check_account", known);
      const result = await call("change_password", { ...user(account.username), newpass: account.password });
      return client.rescodeOk(result) ? { ok: true } : failure("change_password", result);
    },
    async deleteAccount(username: string): Promise<ChangePasswordResult> {
      const known = await exists(username);
      if (known === false) return { ok: false, reason: "missing", detail: "check_account: no such account" };
      if (known !== true) return failure("check_account", known);
      const result = await call("unregister", user(username));
      return result.ok && result.status === 200 ? { ok: true } : failure("unregister", result);
    },
  };
}

/** The server's version from `status`, asked once it answers; a refusal (not in api_permissions) is remembered as unknown. */
function statusVersion(client: CommandClient): () => Promise<string | undefined> {
  let known: Promise<string | undefined> | undefined;
  return () => {
    known ??= client.call("status", {}).then((result) => {
      if (!result.ok) known = undefined;
      return result.ok && result.status === 200 ? ejabberdVersionOf(result.body) : undefined;
    });
    return known;
  };
}

/** add_rosteritem with subs=both, in the argument shape this server's API takes. */
function rosterWriter(client: CommandClient, version: () => Promise<string | undefined>): RosterWriter {
  let shape: RosterItemShape | undefined;
  const addRosterItem = (args: Record<string, string>, groups: readonly string[], as: RosterItemShape) =>
    client.call("add_rosteritem", { ...args, ...(as === "groups" ? { groups: [...groups] } : { group: groups.join(";") }), subs: "both" });
  /**
   * A 400 that names the argument of the other shape: this API takes the other one. Newer servers
   * name the argument they do not know ("unknown arguments: [group]"), older ones the one they miss
   * ("missing argument: group").
   */
  const wrongShape = (result: Call, as: RosterItemShape) => {
    if (!result.ok || result.status !== 400) return false;
    const text = typeof result.body === "string" ? result.body : JSON.stringify(result.body);
    const other = as === "groups" ? "group" : "groups";
    return (/unknown arguments/i.test(text) && text.includes(`[${as}]`)) || new RegExp(`missing argument:? *${other}\\b`, "i").test(text);
  };
  return {
    kind: "ejabberd-api",
    isAvailable: () => client.reachable(),
    async setSubscribed(owner, item): Promise<RosterResult> {
      const user = parseJid(owner);
      const contact = parseJid(item.jid);
      if (!user || !contact) return { ok: false, reason: "rejected", detail: "not a user JID" };
      const args = { localuser: user.local, localhost: user.domain, user: contact.local, host: contact.domain, nick: "" };
      const as = shape ?? rosterItemShape(await version());
      let result = await addRosterItem(args, item.groups, as);
      if (wrongShape(result, as)) {
        const other = as === "groups" ? "group" : "groups";
        result = await addRosterItem(args, item.groups, other);
        if (!wrongShape(result, other)) shape = other;
      } else if (result.ok) {
        shape = as;
      }
      return client.rescodeOk(result) ? { ok: true } : client.failure("add_rosteritem", result);
    },
  };
}
