// A client-side redemption over XMPP, as any entity that can reach the component would do it:
// log in (anonymously by default), send the preauth IQ, then the XEP-0077 registration.
import { client, type Client } from "@xmpp/client";
import type { Element } from "ltx";
import { normalizeUsername } from "../invites/domain/username.js";
import { NS } from "../protocol/namespaces.js";
import { xml } from "../protocol/xml.js";
import { stanzaErrorOf } from "../protocol/iq.js";

export interface RedeemOptions {
  /** The server's client port, e.g. xmpp://127.0.0.1:5222. */
  readonly service: string;
  /** Domain to log in to: an anonymous host, unless `login` is given. */
  readonly loginDomain: string;
  readonly login?: { readonly username: string; readonly password: string };
  /** The component's JID. */
  readonly component: string;
  /** The domain the account is created on. */
  readonly domain: string;
  readonly token: string;
  readonly username: string;
  readonly password: string;
  readonly timeoutMs?: number;
}

export class RedeemError extends Error {
  override name = "RedeemError" as const;
  readonly condition: string | undefined;
  readonly type: string | undefined;
  /** The server's or component's explanation, when it gave one. */
  readonly text: string;
  constructor(message: string, condition?: string, type?: string, text = "") {
    super(message);
    this.condition = condition;
    this.type = type;
    this.text = text;
  }
}

export async function connectClient(options: { service: string; domain: string; username?: string; password?: string; timeoutMs?: number }): Promise<Client> {
  const { username, password } = options;
  const entity = client({
    service: options.service,
    domain: options.domain,
    ...(username !== undefined && password !== undefined
      ? {
          // PLAIN where offered: @xmpp/client's SCRAM runs PBKDF2 in JavaScript (about 0.7 s a login).
          credentials: (authenticate, mechanisms) =>
            authenticate({ username, password }, mechanisms.includes("PLAIN") ? "PLAIN" : (mechanisms[0] ?? "PLAIN")),
        }
      : {}),
  });
  entity.on("error", () => undefined); // surfaced through start()'s rejection
  entity.reconnect.stop();
  entity.on("connect", () => entity.socket?.setNoDelay(true));
  await withTimeout(entity.start(), options.timeoutMs ?? 10_000, `connecting to ${options.service}`);
  return entity;
}

export async function redeemOverXmpp(options: RedeemOptions): Promise<{ jid: string }> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const entity = await connectClient({
    service: options.service,
    domain: options.loginDomain,
    ...(options.login ?? {}),
    timeoutMs,
  });
  try {
    await ask(entity, xml("iq", { type: "set", to: options.component }, xml("preauth", { xmlns: NS.PARS, token: options.token })), timeoutMs);
    await ask(entity, xml("iq", { type: "set", to: options.component },
      xml("query", { xmlns: NS.REGISTER },
        xml("username", {}, options.username),
        xml("password", {}, options.password))), timeoutMs);
    const name = normalizeUsername(options.username);
    return { jid: `${name.ok ? name.username : options.username}@${options.domain}` };
  } finally {
    await withTimeout(entity.stop(), 3000, "disconnecting").catch(() => undefined);
  }
}

async function ask(entity: Client, stanza: Element, timeoutMs: number): Promise<void> {
  try {
    await entity.iqCaller.request(stanza, timeoutMs);
  } catch (err) {
    const { condition, type, text } = stanzaErrorOf(err);
    if (condition) throw new RedeemError(text ? `${condition}: ${text}` : condition, condition, type, text ?? "");
    throw err;
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
