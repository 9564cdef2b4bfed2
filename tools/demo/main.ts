// `npm run demo`: a throwaway Prosody on loopback, the component attached to it, and a working
// invite link. `--once` also redeems the invite and logs in with the new account, then exits.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createApp } from "../../src/app.js";
import { redeemOverXmpp, connectClient } from "../../src/client/redeem.js";
import { loadConfig } from "../../src/config/load.js";
import { createLogger } from "../../src/log.js";
import { freePort } from "./ports.js";
import { ensureProsodyInstalled, startProsody } from "./prosody.js";

const say = (line = "") => process.stdout.write(`${line}\n`);

const HELP = `Usage: npm run demo -- [--once] [--host ADDRESS] [--port N] [--xmpp-port N]

A throwaway Prosody on this machine with the component attached, and a working invite link.
Ctrl-C stops both and deletes the temporary server and its data.

  --once           Redeem the invite, log in with the new account, and exit
  --host ADDRESS   Where the web door and Prosody's client port listen, and the host in the
                   printed links (default 127.0.0.1; plain TCP and HTTP: a test server only)
  --port N         The web door's port (default: a free one)
  --xmpp-port N    Prosody's client port (default: a free one)
  -h, --help       This help
`;

function portOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) throw new UsageError(`--${name}: "${value}" is not a port number`);
  return port;
}

class UsageError extends Error {}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        once: { type: "boolean", default: false },
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string" },
        "xmpp-port": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const host = values.host;
  const fixedHttp = portOption("port", values.port);
  const fixedC2s = portOption("xmpp-port", values["xmpp-port"]);
  const urlHost = host.includes(":") ? `[${host}]` : host;
  await ensureProsodyInstalled((line) => process.stderr.write(`${line}\n`));
  // With the package's bridge module, so apps can open the invite's xmpp: link on this server too.
  const server = await startProsody({ bridge: true, listen: host, ...(fixedC2s === undefined ? {} : { ports: { c2s: fixedC2s } }) });
  const configPath = join(server.dir, "config.json");
  const httpPort = fixedHttp ?? await freePort();
  writeFileSync(configPath, `${JSON.stringify({
    domain: server.domain,
    component: { service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret },
    database: "./invites.sqlite",
    admins: [`admin@${server.domain}`],
    http: { listen: `${urlHost}:${httpPort}`, public_url: `http://${urlHost}:${httpPort}` },
    site_name: "xmpp-invites demo",
    bridge: "prosody",
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
    say(`Stopped Prosody and the component; deleted ${server.dir}.`);
  };
  try {
    await app.start();
    const { token, uri } = await app.invites.create({ note: "demo", source: "demo" });
    // The Node running the demo: on a machine whose own `node` is too old it is the one
    // scripts/supported-node.sh fetched, and the printed commands must use it too.
    const cli = `${process.execPath} ${join(process.cwd(), "dist/cli/main.js")}`;
    say(`Prosody ${server.version} is running on ${urlHost}:${server.c2sPort} (domain ${server.domain}); the component ${server.componentDomain} is connected.`);
    say();
    say(`Invite link: http://${urlHost}:${httpPort}/invite/${token}`);
    say(`  (open it in a browser to create an account on the web; the XMPP URI is ${uri})`);
    say(`An app can open the XMPP URI itself: this Prosody runs mod_xmpp_invites, so preauth + register on 127.0.0.1:${server.c2sPort} redeem it.`);
    say();
    say("Or redeem it as an anonymous XMPP session would (preauth + register at the component):");
    say(`  ${cli} redeem '${uri}' --username alice --password 'a-long-password' --server ${server.c2sService()} --anonymous-domain ${server.anonDomain} --component ${server.componentDomain}`);
    say(`Then log in with any XMPP client as alice@${server.domain} at ${urlHost}:${server.c2sPort} (plain TCP, test server only).`);
    say(`More invites: ${cli} invite create --config ${configPath}`);

    if (values.once) {
      const landing = await fetch(`http://${server.c2sService().slice("xmpp://".length).replace(/:\d+$/, "")}:${httpPort}/invite/${token}`);
      if (landing.status !== 200 || landing.headers.get("link") !== `<${uri}>; rel="alternate"`) {
        throw new Error(`the invite page answered ${landing.status}`);
      }
      await redeemOverXmpp({
        service: server.c2sService(), loginDomain: server.anonDomain, component: server.componentDomain,
        domain: server.domain, token, username: "demo-user", password: "demo-password-123",
      });
      const session = await connectClient({ service: server.c2sService(), domain: server.domain, username: "demo-user", password: "demo-password-123" });
      say();
      say(`Self-check: the invite page answered 200; redeemed the invite as demo-user and logged in as ${session.jid?.toString() ?? "?"}.`);
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
    if (err instanceof UsageError) {
      process.stderr.write(`demo: ${err.message}\n${HELP}`);
      process.exitCode = 64;
      return;
    }
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
