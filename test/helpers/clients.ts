// Real XMPP clients against a real server, for integration tests.
import { RedeemError, connectClient, redeemOverXmpp } from "../../src/client/redeem.js";
/** What the clients need to know of a server, Prosody or ejabberd. */
export interface XmppServer {
  readonly domain: string;
  readonly anonDomain: string;
  readonly componentDomain: string;
  c2sService(): string;
}

export type Outcome = { ok: true; jid: string } | { ok: false; type: string | undefined; condition: string | undefined; text: string };

/** An anonymous session on the server sends preauth + register to the component. */
export async function redeemAnonymously(server: XmppServer, token: string, username: string, password: string): Promise<Outcome> {
  try {
    const { jid } = await redeemOverXmpp({
      service: server.c2sService(),
      loginDomain: server.anonDomain,
      component: server.componentDomain,
      domain: server.domain,
      token,
      username,
      password,
    });
    return { ok: true, jid };
  } catch (err) {
    if (err instanceof RedeemError) {
      return { ok: false, type: err.type, condition: err.condition, text: err.text };
    }
    throw err;
  }
}

/** True when the account exists with this password: a real c2s login. */
export async function canLogin(server: XmppServer, username: string, password: string): Promise<boolean> {
  try {
    const entity = await connectClient({ service: server.c2sService(), domain: server.domain, username, password, timeoutMs: 5000 });
    await entity.stop().catch(() => undefined);
    return true;
  } catch (err) {
    if (/not-authorized|authentication/i.test(String((err as Error).message ?? err)) || (err as { condition?: string }).condition === "not-authorized") return false;
    throw err;
  }
}

export interface RosterEntry {
  readonly subscription: string | undefined;
  readonly groups: string[];
}

/** Logs in as the user and fetches their roster (RFC 6121 §2.2). */
export async function rosterOf(server: XmppServer, username: string, password: string): Promise<Map<string, RosterEntry>> {
  const { xml } = await import("../../src/protocol/xml.js");
  const entity = await connectClient({ service: server.c2sService(), domain: server.domain, username, password, timeoutMs: 5000 });
  try {
    const reply = await entity.iqCaller.request(xml("iq", { type: "get" }, xml("query", { xmlns: "jabber:iq:roster" })), 5000);
    const items = reply.getChild("query", "jabber:iq:roster")?.getChildren("item") ?? [];
    return new Map(items.map((item) => [item.attrs["jid"] ?? "", { subscription: item.attrs["subscription"], groups: item.getChildren("group").map((g) => g.getText()) }]));
  } finally {
    await entity.stop().catch(() => undefined);
  }
}

export type Session = Awaited<ReturnType<typeof connectClient>>;

/** A logged-in session (anonymous when no username is given). */
export function login(server: XmppServer, username?: string, password?: string, host = server.domain): Promise<Session> {
  return connectClient({
    service: server.c2sService(),
    domain: username === undefined ? server.anonDomain : host,
    ...(username !== undefined && password !== undefined ? { username, password } : {}),
    timeoutMs: 5000,
  });
}
