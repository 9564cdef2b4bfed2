#!/usr/bin/env node
// xmpp-invites: run the component and manage invites from the shell.
import { ConfigError } from "../config/load.js";
import { AppError, isAppError } from "../errors.js";
import { isXmlText } from "../protocol/xml-text.js";
import { COMMAND_HELP, OVERVIEW, isCommand, version, wantsHelp } from "./help.js";
import { UsageError } from "./usage.js";

export const EXIT = { ok: 0, failure: 1, usage: 64, config: 78 } as const;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    checkArguments(argv);
    if (command !== undefined && isCommand(command) && wantsHelp(rest)) {
      process.stdout.write(COMMAND_HELP[command]);
      return EXIT.ok;
    }
    switch (command) {
      // Each command loads only what it needs: a short command should start fast.
      case "start":
        return await (await import("./start.js")).runStart(rest);
      case "check-config":
        return await (await import("./check-config.js")).runCheckConfig(rest);
      case "invite":
        return await (await import("./invite.js")).runInvite(rest);
      case "request":
        return await (await import("./request.js")).runRequest(rest);
      case "api-key":
        return await (await import("./api-key.js")).runApiKey(rest);
      case "redeem":
        return await (await import("./redeem.js")).runRedeem(rest);
      case "ejabberd-module":
        return await (await import("./ejabberd-module.js")).runEjabberdModule(rest);
      case "help":
        return help(rest);
      case "-V":
      case "--version":
        process.stdout.write(`xmpp-invites ${version()}\n`);
        return EXIT.ok;
      case undefined:
      case "-h":
      case "--help":
        process.stdout.write(OVERVIEW);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    return reportError(err, command !== undefined && isCommand(command) ? command : undefined);
  }
}

/** Arguments end up in stanzas (notes, groups, usernames, passwords): what XML cannot carry is refused, without echoing it. */
function checkArguments(argv: readonly string[]): void {
  const at = argv.findIndex((arg) => !isXmlText(arg));
  if (at < 0) return;
  const arg = argv[at] ?? "";
  const before = argv[at - 1];
  const name = /^--[a-z-]+=/.test(arg) ? arg.slice(0, arg.indexOf("=")) : `argument ${at + 1}${before?.startsWith("--") ? ` (after ${before})` : ""}`;
  throw new AppError("invalid-characters", name);
}

function help(args: string[]): number {
  const [topic, extra] = args;
  if (topic === undefined) {
    process.stdout.write(OVERVIEW);
    return EXIT.ok;
  }
  if (!isCommand(topic)) throw new UsageError(`no help for "${topic}": the commands are ${Object.keys(COMMAND_HELP).join(", ")}`);
  if (extra !== undefined && !(SUBCOMMANDS[topic] ?? []).includes(extra)) {
    throw new UsageError(`no help for "${topic} ${extra}"`);
  }
  process.stdout.write(COMMAND_HELP[topic]);
  return EXIT.ok;
}

const SUBCOMMANDS: Partial<Record<string, readonly string[]>> = { invite: ["create", "list", "show", "revoke", "tree", "purge"], "api-key": ["create", "list", "revoke"], request: ["list", "show", "approve", "deny"], "ejabberd-module": ["build"] };

export function reportError(err: unknown, command?: string): number {
  if (err instanceof UsageError) {
    process.stderr.write(`xmpp-invites: ${err.message}\nRun "xmpp-invites help${command ? ` ${command}` : ""}" for usage.\n`);
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
