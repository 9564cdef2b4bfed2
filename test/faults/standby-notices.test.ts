// Messages from the component when the registration is served by an instance without the XMPP
// link: two instances on one PostgreSQL with a real Prosody (one holds the component connection,
// the other stands by and serves the web door through xep0133-account). The inviter's notice, the
// welcome text and the admins' notice of an account request are queued in the database and sent by
// the instance that holds the link, each exactly once.
import { join } from "node:path";
import pg from "pg";
import { xml } from "@xmpp/client";
import type { Element } from "ltx";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostgresServer, startPostgres } from "../../tools/demo/postgres.js";
import { type ProsodyServer, ensureProsodyInstalled, startProsody } from "../../tools/demo/prosody.js";
import { type Session, login } from "../helpers/clients.js";
import { type ComponentProcess, registerOverApi, startComponent, until, writeComponentConfig } from "./support.js";

const ADMIN = { username: "admin", password: "admin-pw-1234567" };
const ROMEO = { username: "romeo", password: "romeo-pw-1234567" };

let server: ProsodyServer;
let database: PostgresServer;
let db: pg.Pool;
let configPath: string;
let active: ComponentProcess;
let standby: ComponentProcess;
let romeo: Session;
const messages: Element[] = [];

beforeAll(async () => {
  await ensureProsodyInstalled();
  [server, database] = await Promise.all([startProsody(), startPostgres()]);
  await Promise.all([server.registerUser(ADMIN.username, ADMIN.password), server.registerUser(ROMEO.username, ROMEO.password)]);
  db = new pg.Pool({ connectionString: database.url, max: 2 });
  db.on("error", () => undefined);
  configPath = join(server.dir, "config.json");
  writeComponentConfig(server, configPath, database.url, {
    adapter: { type: "xep0133-account", jid: `${ADMIN.username}@${server.domain}`, password: ADMIN.password, service: server.c2sService(), timeout: 5 },
    admins: [`${ROMEO.username}@${server.domain}`],
    welcome_message: "Welcome, {username}, invited by {inviter}.",
    registration_requests: { enabled: true },
  });
  active = await startComponent(configPath);
  standby = await startComponent(configPath);
  romeo = await login(server, ROMEO.username, ROMEO.password);
  romeo.on("stanza", (stanza: Element) => {
    if (stanza.is("message") && stanza.attrs.from === server.componentDomain) messages.push(stanza);
  });
  await romeo.send(xml("presence"));
}, 90_000);

afterAll(async () => {
  await romeo?.stop().catch(() => undefined);
  for (const instance of [standby, active]) await instance?.kill("SIGTERM");
  await db?.end();
  await Promise.all([server?.stop(), database?.stop()]);
});

const bodies = (pattern: RegExp) => messages.map((m) => m.getChildText("body") ?? "").filter((body) => pattern.test(body));

async function outboxRows(to: string): Promise<Array<{ sent: boolean }>> {
  const { rows } = await db.query<{ sent: boolean }>("SELECT sent_at IS NOT NULL AS sent FROM outbox WHERE recipient = $1", [to]);
  return rows;
}

describe("notices of a registration a standby served", () => {
  it("the standby serves the registration; the inviter's notice and the welcome text are sent by the active instance, exactly once", async () => {
    const health = await (await fetch(`${standby.httpUrl}/healthz`)).json() as { component: string };
    expect(health.component).toBe("standby");
    const { openInvites } = await import("../../src/app.js");
    const { loadConfig } = await import("../../src/config/load.js");
    const { stores, invites } = await openInvites(loadConfig(configPath));
    const created = await invites.create({ inviter: `${ROMEO.username}@${server.domain}` }).finally(() => stores.close());
    expect(await registerOverApi(standby.httpUrl, created.token, "juliet", "balcony-pw-1234567")).toEqual({ ok: true });
    const joined = /^juliet@example\.test joined .* with your invite/;
    await until(() => bodies(joined).length > 0, 10_000, "the inviter's notice");
    // Longer than a few polls of every instance: a second copy would have come by now.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(bodies(joined)).toHaveLength(1);
    expect(await outboxRows(`juliet@${server.domain}`)).toEqual([{ sent: true }]);
    expect(await outboxRows(`${ROMEO.username}@${server.domain}`)).toEqual([{ sent: true }]);
    // The standby logged nothing about a notice it could not send.
    expect(standby.lines.filter((line) => /could not send a notice/.test(String(line["msg"])))).toEqual([]);
  }, 60_000);

  it("an account request made at the standby's web door: the admins hear of it once, from the active instance", async () => {
    const page = await (await fetch(`${standby.httpUrl}/`)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
    expect(csrf).toBeDefined();
    const response = await fetch(`${standby.httpUrl}/request`, {
      method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: csrf ?? "", username: "mercutio", message: "a friend of romeo" }).toString(),
    });
    expect(response.status).toBeLessThan(400);
    const requested = /^New account request .*: mercutio@example\.test/;
    await until(() => bodies(requested).length > 0, 10_000, "the admins' notice");
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(bodies(requested)).toHaveLength(1);
  }, 60_000);
});
