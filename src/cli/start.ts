import { parseArgs } from "node:util";
import { createApp } from "../app.js";
import { configPath, loadConfig } from "../config/load.js";
import { createLogger } from "../log.js";
import { chooseLogFormat, prettyDestination } from "../log-format.js";
import { UsageError, usage } from "./usage.js";

const OPTIONS = { config: { type: "string" }, "log-format": { type: "string" } } as const;

export async function runStart(args: string[]): Promise<number> {
  const { values } = usage(() => parseArgs({ args, options: OPTIONS, strict: true }));
  let format;
  try {
    format = chooseLogFormat(values["log-format"], process.env, process.stdout.isTTY === true);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const config = loadConfig(configPath(values.config));
  const log = createLogger(config.log_level, format === "pretty" ? prettyDestination(process.stdout) : undefined);
  const app = createApp(config, log);
  // @xmpp/connection leaves a promise unobserved when a stream fails while opening; a service must
  // log that and keep running rather than exit.
  process.on("unhandledRejection", (reason) => log.error({ err: reason }, "unhandled promise rejection"));
  // A fault that ends the process still ends it (a service manager restarts it), but in the JSON
  // log the operator reads, not only on stderr.
  process.on("uncaughtExceptionMonitor", (err, origin) => log.fatal({ err, origin }, "uncaught exception; the process ends"));

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
