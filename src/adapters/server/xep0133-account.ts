// XEP-0133 commands sent from an admin *account* over a client connection, for servers that
// will not make a component an admin (Openfire, Tigase) or where operators prefer not to.
import { randomBytes } from "node:crypto";
import type { Client } from "@xmpp/client";
import type { Logger } from "pino";
import type { ServerAdapter } from "../../invites/ports/server.js";
import type { IqRequester } from "../../protocol/iq.js";
import { traceStanzas } from "../../log.js";
import { createXep0133Adapter } from "./xep0133.js";
import { parseJid } from "../../protocol/jid.js";
import { guardWrites } from "../../protocol/xml-text.js";

export interface Xep0133AccountOptions {
  /** The admin's bare JID. */
  readonly jid: string;
  readonly password: string;
  /** Client port of the server, e.g. xmpp://127.0.0.1:5222 (xmpps:// for direct TLS). */
  readonly service: string;
  readonly domain: string;
  readonly timeoutMs: number;
  readonly log: Logger;
  readonly commandsJid?: string | undefined;
}

export function createXep0133AccountAdapter(options: Xep0133AccountOptions): ServerAdapter {
  // The config schema has checked it is an account JID.
  const { local: username, domain: loginDomain } = parseJid(options.jid) ?? { local: "", domain: "" };
  let entity: Client | undefined;

  const requester: IqRequester = {
    isOnline: () => entity?.status === "online",
    request: (stanza, timeoutMs) => {
      if (!entity) throw new Error("admin account not connected");
      return entity.iqCaller.request(stanza, timeoutMs);
    },
  };
  const commands = createXep0133Adapter({ xmpp: requester, domain: options.domain, timeoutMs: options.timeoutMs, commandsJid: options.commandsJid }, "xep0133-account");

  return {
    ...commands,
    async start() {
      // Loaded only here: @xmpp/client adds ~17 MB to a process that never uses it.
      const { client } = await import("@xmpp/client");
      const connection = client({
        service: options.service,
        domain: loginDomain,
        // One resource per process: instances sharing the admin account must not replace each other.
        resource: `xmpp-invites-${randomBytes(4).toString("hex")}`,
        // PLAIN where the server offers it (over TLS): @xmpp/client's SCRAM runs PBKDF2 in JavaScript.
        credentials: (authenticate, mechanisms) =>
          authenticate({ username, password: options.password }, mechanisms.includes("PLAIN") ? "PLAIN" : (mechanisms[0] ?? "PLAIN")),
      });
      entity = connection;
      // As at the component: no character XML cannot carry reaches the admin session's stream.
      guardWrites(connection, (fixed) => options.log.error({ ...fixed, session: "admin account" }, "an outgoing stanza held characters XML cannot carry; replaced with U+FFFD"));
      // Nagle plus delayed ACKs cost about 40 ms per command against ejabberd.
      connection.on("connect", () => connection.socket?.setNoDelay(true));
      connection.on("error", (err: Error) => options.log.warn({ err: err.message }, "admin account connection error"));
      connection.on("online", () => options.log.info({ jid: options.jid }, "admin account connected"));
      connection.on("offline", () => options.log.info("admin account disconnected"));
      connection.on("status", (status: string) => options.log.debug({ status }, "admin account connection status"));
      traceStanzas(connection, options.log.child({ session: "admin account" }));
      // Wait for the login at most one timeout: after that the client's reconnect keeps
      // trying in the background and commands answer "unavailable" meanwhile.
      const login = connection.start().then(
        () => undefined,
        (err: unknown) => options.log.warn({ err: (err as Error).message }, "admin account could not connect yet; retrying"),
      );
      await Promise.race([login, new Promise((resolve) => setTimeout(resolve, options.timeoutMs).unref())]);
    },
    async stop() {
      const connection = entity;
      entity = undefined;
      connection?.reconnect.stop();
      await Promise.race([connection?.stop().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
    },
  };
}
