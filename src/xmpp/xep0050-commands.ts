// ====================================================================
// XEP-0050: Ad-Hoc Commands — one runner for every command the component offers
// Source: https://xmpp.org/extensions/xep-0050.html (v1.3.0)
// Commands are data in, data out: they never build XML. The runner does discovery (only what
// the requester may run), access checks, sessions for multi-stage commands and rendering.
// ====================================================================
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { Component, IqContext, JID } from "@xmpp/component";
import type { Logger } from "pino";
import { AppError } from "../errors.js";
import type { Clock } from "../invites/domain/clock.js";
import { type FormSpec, type SubmittedForm, buildForm, nonXmlField, parseForm } from "../protocol/forms.js";
import { guarded } from "./handlers.js";
import { NS } from "../protocol/namespaces.js";
import { errorElement, stanzaError } from "../protocol/stanza-error.js";
import { type Element, xml } from "../protocol/xml.js";
import { scrubElement } from "../protocol/xml-text.js";

export interface Requester {
  /** Full JID, as the server stamped it. */
  readonly jid: string;
  readonly bare: string;
  readonly isAdmin: boolean;
  /** A user with an account on the domain (not an anonymous session, not another server). */
  readonly isLocalUser: boolean;
}

export interface Note {
  readonly type: "info" | "warn" | "error";
  readonly text: string;
}

export type CommandResponse =
  | { readonly status: "completed"; readonly form?: FormSpec; readonly note?: Note }
  | { readonly status: "executing"; readonly form: FormSpec; readonly note?: Note };

export interface AdhocCommand {
  readonly node: string;
  readonly name: string;
  /** Older node names still accepted on execute (not listed in disco#items). */
  readonly aliases?: readonly string[];
  allowed(requester: Requester): boolean;
  /** `form` is undefined on the first execute, unless the client submitted one inline. */
  run(input: { readonly form: SubmittedForm | undefined; readonly requester: Requester }): CommandResponse | Promise<CommandResponse>;
}

export interface CommandsOptions {
  readonly xmpp: Component;
  readonly commands: readonly AdhocCommand[];
  readonly requesterOf: (from: JID) => Requester;
  readonly componentJid: string;
  readonly clock: Clock;
  readonly log: Logger;
  /**
   * Signs session ids, so that another instance with the same key (several instances behind a
   * server that spreads one client's stanzas over them) continues a session begun here. Absent:
   * sessions are known to this process only.
   */
  readonly sessionKey?: Buffer;
}

export interface CommandsDisco {
  /** disco#items for the commands node: only what this requester may run (§2.2). */
  items(from: JID): Element[];
  /** disco#info for one command node; undefined when it is not a command node. */
  info(node: string, from: JID): Element[] | undefined;
}

const SESSION_TTL_MS = 10 * 60_000;
const MAX_SESSIONS = 1000;

export function registerCommands(options: CommandsOptions): CommandsDisco {
  const { xmpp, commands, requesterOf, componentJid, clock, log } = options;
  const byNode = new Map(commands.flatMap((command) => [command.node, ...(command.aliases ?? [])].map((node) => [node, command] as const)));
  const { take: takeSession, open: openSession, end } = commandSessions(options.sessionKey, clock);

  xmpp.iqCallee.set(NS.COMMANDS, "command", guarded(log, async (ctx: IqContext) => {
    const node = ctx.element.attrs.node ?? "";
    const action = ctx.element.attrs.action ?? "execute";
    const command = byNode.get(node);
    if (!command) return stanzaError({ type: "cancel", condition: "item-not-found" });
    if (!ctx.from) throw new AppError("bad-request", "The request has no sender");
    const requester = requesterOf(ctx.from);
    if (!command.allowed(requester)) {
      log.info({ node, from: requester.bare }, "command refused");
      return failWithNote(ctx, new AppError("forbidden"));
    }
    const given = ctx.element.attrs.sessionid;
    if (given !== undefined && !takeSession(given, node, requester.jid)) return badSession();
    if (action === "cancel") {
      if (given !== undefined) end(given);
      return xml("command", { xmlns: NS.COMMANDS, node, sessionid: given, status: "canceled" });
    }
    if (!["execute", "complete", "next"].includes(action)) {
      return xml("error", { type: "modify" }, xml("bad-request", { xmlns: NS.STANZAS }), xml("bad-action", { xmlns: NS.COMMANDS }));
    }

    const x = ctx.element.getChild("x", NS.DATA_FORMS);
    const form = x && x.attrs.type === "submit" ? parseForm(x) : undefined;
    const unfit = form === undefined ? undefined : nonXmlField(form);
    if (unfit !== undefined) {
      log.info({ node, from: requester.bare, field: unfit }, "command refused: characters XML cannot carry");
      return failWithNote(ctx, new AppError("invalid-characters", unfit));
    }
    let response: CommandResponse;
    try {
      response = await command.run({ form, requester });
    } catch (err) {
      if (err instanceof AppError) return failWithNote(ctx, err);
      throw err;
    }
    log.info({ node, from: requester.bare, status: response.status }, "command run");

    if (response.status === "executing") {
      const sessionid = openSession(given, node, requester.jid);
      return xml("command", { xmlns: NS.COMMANDS, node, sessionid, status: "executing" },
        xml("actions", { execute: "complete" }, xml("complete")),
        noteElement(response.note),
        buildForm(response.form));
    }
    if (given !== undefined) end(given);
    return xml("command", { xmlns: NS.COMMANDS, node, sessionid: given ?? randomUUID(), status: "completed" },
      noteElement(response.note),
      response.form === undefined ? undefined : buildForm(response.form));
  }));

  return {
    items(from) {
      const requester = requesterOf(from);
      return commands
        .filter((command) => command.allowed(requester))
        .map((command) => xml("item", { jid: componentJid, node: command.node, name: command.name }));
    },
    info(node, from) {
      const command = byNode.get(node);
      if (!command) return undefined;
      if (!command.allowed(requesterOf(from))) throw new AppError("forbidden");
      return [
        xml("identity", { category: "automation", type: "command-node", name: command.name }),
        xml("feature", { var: NS.COMMANDS }),
        xml("feature", { var: NS.DATA_FORMS }),
      ];
    },
  };
}

/**
 * The sessions of multi-step commands (§4.3). With a key, ids are signed, so a step may reach another
 * instance; a session ended here is refused here even while its signature holds.
 */
function commandSessions(sessionKey: CommandsOptions["sessionKey"], clock: CommandsOptions["clock"]) {
  const sessions = new Map<string, { node: string; requester: string; expiresAt: number }>();
  const ended = new Set<string>();
  return {
    take(id: string, node: string, requester: string): boolean {
      const session = sessions.get(id);
      if (!session) return sessionKey !== undefined && !ended.has(id) && verifySession(sessionKey, id, node, requester, clock.now());
      return session.node === node && session.requester === requester && session.expiresAt > clock.now();
    },
    open(id: string | undefined, node: string, requester: string): string {
      const sessionid = id ?? (sessionKey ? signSession(sessionKey, node, requester, clock.now() + SESSION_TTL_MS) : randomUUID());
      sessions.delete(sessionid);
      if (sessions.size >= MAX_SESSIONS) {
        const oldest = sessions.keys().next().value;
        if (oldest !== undefined) sessions.delete(oldest);
      }
      sessions.set(sessionid, { node, requester, expiresAt: clock.now() + SESSION_TTL_MS });
      return sessionid;
    },
    end(id: string): void {
      sessions.delete(id);
      if (ended.size >= MAX_SESSIONS) ended.clear();
      ended.add(id);
    },
  };
}

function noteElement(note: Note | undefined): Element | undefined {
  return note === undefined ? undefined : xml("note", { type: note.type }, note.text);
}

/** An IQ error that also carries the reason as a <note/> in the echoed command, as Prosody does. */
function failWithNote(ctx: IqContext, error: AppError): Element {
  // The request is echoed in the error: without anything XML cannot carry.
  scrubElement(ctx.element);
  ctx.element.append(xml("note", { type: "error" }, error.message));
  return errorElement(error);
}

const sessionMac = (key: Buffer, head: string, node: string, requester: string) =>
  createHmac("sha256", key).update(`${head}\n${node}\n${requester}`).digest("base64url");

/** `expiry.nonce.mac`: the expiry (base 36 ms) and a nonce, with an HMAC binding them to the node and the requester's full JID. */
function signSession(key: Buffer, node: string, requester: string, expiresAt: number): string {
  const head = `${expiresAt.toString(36)}.${randomBytes(12).toString("base64url")}`;
  return `${head}.${sessionMac(key, head, node, requester)}`;
}

function verifySession(key: Buffer, id: string, node: string, requester: string, now: number): boolean {
  const parts = id.split(".");
  const [expiry, nonce, mac] = parts;
  if (parts.length !== 3 || !expiry || !nonce || !mac || parseInt(expiry, 36) <= now) return false;
  const expected = Buffer.from(sessionMac(key, `${expiry}.${nonce}`, node, requester));
  const given = Buffer.from(mac);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function badSession(): Element {
  return xml("error", { type: "modify" }, xml("bad-request", { xmlns: NS.STANZAS }), xml("bad-sessionid", { xmlns: NS.COMMANDS }),
    xml("text", { xmlns: NS.STANZAS, "xml:lang": "en" }, "Unknown or expired session"));
}
