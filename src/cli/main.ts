#!/usr/bin/env node
// xmpp-invites: run the component and manage invites from the shell.
import { ConfigError } from "../config/load.js";
import { isAppError } from "../errors.js";
import { UsageError } from "./usage.js";

const HELP = `Usage: xmpp-invites <command> [options]

Commands:
  start                         Connect to the XMPP server and serve registrations
  check-config                  Validate the configuration and say what it does
  invite create [options]       Create an invite; prints its URI (the token is shown only now)
      --username U              Only this username may register with it
      --contact USER@DOMAIN     A contact invite from this user (XEP-0379): the invitee is subscribed with them
      --allow-registration      With --contact: the invitee may also create an account (;ibr=y)
      --reset USER              A password-reset invite for this existing account (default lifetime 1d)
      --group G                 New accounts join group G (repeatable): subscribed with its members
      --expires PERIOD          Lifetime, e.g. 7d, 12h, 3600 (default: invite_expiry)
      --uses N                  How many accounts it may create (default 1)
      --note TEXT               A note for admins
  invite list [--all]           Pending invites (--all: also expired, revoked and used ones)
  invite show ID                One invite
  invite revoke ID              Revoke an invite
  invite purge                  Delete invites whose expiry has passed
  api-key create NAME [--read-only]   Create a key for the HTTP API (shown only now)
  api-key list                  The API keys
  api-key revoke ID             Revoke an API key
  redeem URI --username U --password P --server xmpp://HOST:PORT --anonymous-domain D
                                Redeem an invite over XMPP, as an anonymous client would

Options:
  --config PATH                 Configuration file (else $XMPP_INVITES_CONFIG, else ./config.json)
  --json                        Machine-readable output
  -h, --help                    This help
`;

export const EXIT = { ok: 0, failure: 1, usage: 64, config: 78 } as const;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      // Each command loads only what it needs: a short command should start fast.
      case "start":
        return await (await import("./start.js")).runStart(rest);
      case "check-config":
        return (await import("./start.js")).runCheckConfig(rest);
      case "invite":
        return (await import("./invite.js")).runInvite(rest);
      case "api-key":
        return (await import("./api-key.js")).runApiKey(rest);
      case "redeem":
        return await (await import("./redeem.js")).runRedeem(rest);
      case undefined:
      case "-h":
      case "--help":
      case "help":
        process.stdout.write(HELP);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    return reportError(err);
  }
}

export function reportError(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`xmpp-invites: ${err.message}\nRun "xmpp-invites --help" for usage.\n`);
    return EXIT.usage;
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`xmpp-invites: ${err.message}\n`);
    return EXIT.config;
  }
  if (isAppError(err)) {
    process.stderr.write(`xmpp-invites: ${err.message}\n`);
    return EXIT.failure;
  }
  process.stderr.write(`xmpp-invites: ${err instanceof Error ? err.message : String(err)}\n`);
  return EXIT.failure;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportError(err);
  },
);
