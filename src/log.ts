// One root logger; features take children. Secrets are masked by construction: every line's
// fields, message and bindings go through redact.ts before they are written, and pino's `redact`
// paths stay as a second net for the obvious field names.
import { pino, type DestinationStream, type Logger } from "pino";
import type { InviteEvents } from "./invites/domain/events.js";
import type { AccountCheck, ServerAdapter } from "./invites/ports/server.js";
import type { RosterWriter } from "./invites/ports/roster.js";
import { REDACTED, redactFields, redactText, tokenMarker } from "./redact.js";

export const REDACT_PATHS = [
  "password", "*.password",
  "token", "*.token",
  "secret", "*.secret",
  "component.secret",
  "authorization", "*.authorization", "headers.authorization", "*.headers.authorization",
];

const ALREADY_MASKED = /^\[(?:token:[0-9a-f]{4}|redacted)\]$/;

function censor(value: unknown, path: string[]): unknown {
  if (typeof value === "string" && ALREADY_MASKED.test(value)) return value;
  if (path[path.length - 1] === "token" && typeof value === "string" && value !== "") return tokenMarker(value);
  return REDACTED;
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { name: "xmpp-invites" },
    redact: { paths: REDACT_PATHS, censor },
    formatters: {
      log: (fields: Record<string, unknown>) => redactFields(fields) as Record<string, unknown>,
      bindings: (bindings: Record<string, unknown>) => redactFields(bindings) as Record<string, unknown>,
    },
    hooks: {
      // The message and any interpolation arguments: a URL or a token could be in any of them.
      logMethod(this: Logger, args: unknown[], method: (...args: unknown[]) => void) {
        method.apply(this, args.map((arg) => (typeof arg === "string" ? redactText(arg) : arg)));
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

type Outcome = { ok: boolean; reason?: string; detail?: string };

/** Logs every adapter call at debug: command, account, outcome, duration. Secrets stay in the call. */
export function logAdapter(adapter: ServerAdapter, log: Logger, domain: string): ServerAdapter {
  const logged = <T extends Outcome>(command: string, username: string, call: () => Promise<T>) => timedCall(log, { command, account: `${username}@${domain}`, adapter: adapter.kind }, call);
  return {
    kind: adapter.kind,
    ...(adapter.ready ? { ready: () => adapter.ready?.() ?? true } : {}),
    createAccount: (account) => logged("create_account", account.username, () => adapter.createAccount(account)),
    changePassword: (account) => logged("change_password", account.username, () => adapter.changePassword(account)),
    deleteAccount: (username) => logged("delete_account", username, () => adapter.deleteAccount(username)),
    accountExists: async (username) => {
      let answer: AccountCheck | undefined;
      await logged("account_exists", username, async (): Promise<Outcome> => {
        answer = await adapter.accountExists(username);
        if (answer.exists !== "unknown") return { ok: true, reason: answer.exists ? "exists" : "missing" };
        return { ok: false, reason: "unknown", ...(answer.detail === undefined ? {} : { detail: answer.detail }) };
      });
      return answer ?? { exists: "unknown" };
    },
    ...(adapter.start ? { start: () => adapter.start?.() ?? Promise.resolve() } : {}),
    ...(adapter.stop ? { stop: () => adapter.stop?.() ?? Promise.resolve() } : {}),
  };
}

/** Logs what the domain reports (creations, recorded uses, refusals at every door) at debug, then passes it on. */
export function logEvents(events: InviteEvents, log: Logger): InviteEvents {
  return {
    ...events,
    created: (invite) => {
      log.debug({ invite: invite.id, type: invite.type, uses: invite.maxUses }, "invite created");
      events.created?.(invite);
    },
    registered: (door, action, invite, jid) => {
      log.debug({ door, action, invite: invite?.id ?? null, jid }, "invite use recorded");
      events.registered?.(door, action, invite, jid);
    },
    refused: (door, reason) => {
      log.debug({ door, reason }, "registration refused");
      events.refused?.(door, reason);
    },
  };
}

/** Logs every roster write at debug, like logAdapter. */
export function logRoster(roster: RosterWriter, log: Logger): RosterWriter {
  return {
    kind: roster.kind,
    isAvailable: () => roster.isAvailable(),
    ...(roster.onAvailable ? { onAvailable: (listener: () => void) => roster.onAvailable?.(listener) } : {}),
    setSubscribed: (owner, item) => timedCall(log, { command: "set_subscribed", account: owner, contact: item.jid, groups: item.groups, roster: roster.kind }, () => roster.setSubscribed(owner, item)),
  };
}

async function timedCall<T extends Outcome>(log: Logger, fields: Record<string, unknown>, call: () => Promise<T>): Promise<T> {
  if (!log.isLevelEnabled("debug")) return call();
  const started = process.hrtime.bigint();
  const ms = () => Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100;
  try {
    const result = await call();
    log.debug({ ...fields, outcome: result.reason ?? (result.ok ? "ok" : "failed"), detail: result.ok ? undefined : result.detail, ms: ms() }, "adapter call");
    return result;
  } catch (err) {
    log.debug({ ...fields, outcome: "error", err, ms: ms() }, "adapter call");
    throw err;
  }
}

interface StanzaStream {
  on(event: "element" | "send", listener: (element: unknown) => void): unknown;
}

/** Every element in and out of an XMPP connection at trace, masked like any other field. */
export function traceStanzas(entity: StanzaStream, log: Logger): void {
  entity.on("element", (element) => {
    if (log.isLevelEnabled("trace")) log.trace({ stanza: element }, "xmpp in");
  });
  entity.on("send", (element) => {
    if (log.isLevelEnabled("trace")) log.trace({ stanza: element }, "xmpp out");
  });
}
