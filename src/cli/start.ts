import { parseArgs } from "node:util";
import { createApp } from "../app.js";
import { configPath, loadConfig } from "../config/load.js";
import { formatPeriod } from "../invites/period.js";
import { describeAccountCheck, describeCapabilities } from "../adapters/index.js";
import { registrationMode } from "../invites/registration.js";
import { createLogger } from "../log.js";
import { usage } from "./usage.js";

const CONFIG_OPTION = { config: { type: "string" } } as const;

export async function runStart(args: string[]): Promise<number> {
  const { values } = usage(() => parseArgs({ args, options: CONFIG_OPTION, strict: true }));
  const config = loadConfig(configPath(values.config));
  const log = createLogger(config.log_level);
  const app = createApp(config, log);
  // @xmpp/connection leaves a promise unobserved when a stream fails while opening; a service must
  // log that and keep running rather than exit.
  process.on("unhandledRejection", (reason) => log.error({ err: reason }, "unhandled promise rejection"));

  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, "stopping");
      app.stop().catch((err: unknown) => log.error({ err }, "error while stopping")).finally(resolve);
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });

  try {
    // A signal during the first connection attempts stops the wait too.
    await Promise.race([app.start(), stopped]);
  } catch (err) {
    await app.stop().catch(() => undefined);
    throw err;
  }
  await stopped;
  return 0;
}

export function runCheckConfig(args: string[]): number {
  const { values } = usage(() => parseArgs({ args, options: CONFIG_OPTION, strict: true }));
  const path = configPath(values.config);
  const config = loadConfig(path);
  const mode = registrationMode({ inviteOnly: config.registration_invite_only, allowRegistration: config.allow_registration });
  process.stdout.write(
    [
      `${path}: valid`,
      `  accounts on      ${config.domain}`,
      `  component        ${config.component.domain} via ${config.component.service}`,
      `  registration     ${mode}`,
      `  invite expiry    ${formatPeriod(config.invite_expiry)}`,
      `  database         ${config.database}`,
      `  adapter          ${config.adapter.type}: ${describeCapabilities(config.adapter).join(", ")}`,
      `  open claims      settled by asking the server whether the account exists: ${describeAccountCheck(config.adapter)}`,
      `  contact invites  ${config.allow_contact_invites ? "users of the domain" : "admins only"}; may register: ${config.allow_user_invites ? "always" : "admins' only"}`,
      `  admins           ${config.admins.length ? config.admins.join(", ") : "(none)"}`,
      "",
    ].join("\n"),
  );
  return 0;
}
