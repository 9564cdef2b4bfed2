// `npm run demo`: a throwaway Prosody on loopback, the component attached to it, and a working
// invite link. `--once` also redeems the invite and logs in with the new account, then exits.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createApp } from "../app.js";
import { redeemOverXmpp, connectClient } from "../client/redeem.js";
import { loadConfig } from "../config/load.js";
import { createLogger } from "../log.js";
import { ensureProsodyInstalled, startProsody } from "./prosody.js";

const say = (line = "") => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { once: { type: "boolean", default: false } }, strict: true });
  await ensureProsodyInstalled((line) => process.stderr.write(`${line}\n`));
  const server = await startProsody();
  const configPath = join(server.dir, "config.json");
  writeFileSync(configPath, `${JSON.stringify({
    domain: server.domain,
    component: { service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret },
    database: "./invites.sqlite",
    admins: [`admin@${server.domain}`],
    log_level: "warn",
  }, null, 2)}\n`);
  const config = loadConfig(configPath);
  const app = createApp(config, createLogger(config.log_level, process.stderr));

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.stop().catch(() => undefined);
    await server.stop();
  };
  try {
    await app.start();
    const { token, uri } = app.invites.create({ note: "demo", source: "demo" });
    const cli = `node ${join(process.cwd(), "dist/cli/main.js")}`;
    say(`Prosody ${server.version} is running on 127.0.0.1:${server.c2sPort} (domain ${server.domain}); the component ${server.componentDomain} is connected.`);
    say();
    say(`Invite link: ${uri}`);
    say();
    say("Redeem it as an anonymous XMPP session would (preauth + register at the component):");
    say(`  ${cli} redeem '${uri}' --username alice --password 'a-long-password' --server ${server.c2sService()} --anonymous-domain ${server.anonDomain} --component ${server.componentDomain}`);
    say(`Then log in with any XMPP client as alice@${server.domain} at 127.0.0.1:${server.c2sPort} (plain TCP, test server only).`);
    say(`More invites: ${cli} invite create --config ${configPath}`);

    if (values.once) {
      await redeemOverXmpp({
        service: server.c2sService(), loginDomain: server.anonDomain, component: server.componentDomain,
        domain: server.domain, token, username: "demo-user", password: "demo-password-123",
      });
      const session = await connectClient({ service: server.c2sService(), domain: server.domain, username: "demo-user", password: "demo-password-123" });
      say();
      say(`Self-check: redeemed the link as demo-user and logged in as ${session.jid?.toString() ?? "?"}.`);
      await session.stop().catch(() => undefined);
      return 0;
    }

    say();
    say("Press Ctrl-C to stop; the throwaway server and its data are then deleted.");
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    return 0;
  } finally {
    await stop();
  }
}

main().then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
