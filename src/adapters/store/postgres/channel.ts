// Messages between instances over LISTEN/NOTIFY, on one connection of its own that is opened
// again whenever it drops (a database restart).
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { InstanceChannel } from "../../../invites/ports/store.js";

const CHANNEL = "xmpp_invites";
const RECONNECT_MS = 1000;

export interface PostgresChannel extends InstanceChannel {
  close(): Promise<void>;
}

export function openChannel(url: string): PostgresChannel {
  // Letters and digits only: it prefixes stanza ids.
  const tag = randomBytes(5).toString("hex");
  const listeners: Array<(message: string) => void> = [];
  let client: pg.Client | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const listen = async () => {
    if (closed) return;
    const next = new pg.Client({ connectionString: url, application_name: "xmpp-invites listen", connectionTimeoutMillis: 3000 });
    const retry = () => {
      if (client === next) client = undefined;
      next.end().catch(() => undefined);
      if (!closed && timer === undefined) {
        timer = setTimeout(() => {
          timer = undefined;
          void listen();
        }, RECONNECT_MS);
        timer.unref();
      }
    };
    next.on("error", retry);
    next.on("end", retry);
    next.on("notification", ({ payload }) => {
      if (payload === undefined) return;
      const cut = payload.indexOf(" ");
      if (payload.slice(0, cut) !== tag) return;
      for (const listener of listeners) listener(payload.slice(cut + 1));
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${CHANNEL}`);
      client = next;
    } catch {
      retry();
    }
  };
  void listen();

  return {
    tag,
    send(to, message) {
      // Best effort: a reply that cannot be passed on times out at the instance that asked.
      client?.query("SELECT pg_notify($1, $2)", [CHANNEL, `${to} ${message}`]).catch(() => undefined);
    },
    onMessage(listener) {
      listeners.push(listener);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await client?.end().catch(() => undefined);
    },
  };
}
