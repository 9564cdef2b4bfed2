// How log lines are written: JSON for machines (the default off a terminal), or one readable line
// per record for people. The readable form is rendered from pino's JSON, after redaction.
import type { DestinationStream } from "pino";

export type LogFormat = "json" | "pretty";

export const LOG_FORMATS: readonly LogFormat[] = ["json", "pretty"];

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
const HIDDEN = new Set(["level", "time", "pid", "hostname", "name", "msg"]);

/** --log-format, else $XMPP_INVITES_LOG_FORMAT, else pretty on a terminal and JSON otherwise. */
export function chooseLogFormat(flag: string | undefined, env: NodeJS.ProcessEnv, isTty: boolean): LogFormat {
  const chosen = flag ?? env["XMPP_INVITES_LOG_FORMAT"];
  if (chosen === undefined || chosen === "") return isTty ? "pretty" : "json";
  if (!(LOG_FORMATS as readonly string[]).includes(chosen)) {
    throw new RangeError(`log format "${chosen}" is not one of ${LOG_FORMATS.join(", ")}`);
  }
  return chosen as LogFormat;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

function value(v: unknown): string {
  if (typeof v === "string") return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/** One pino JSON record as `HH:MM:SS.mmm LEVEL message key=value …` (an error's stack follows, indented). */
export function prettyLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith("\n") ? json : `${json}\n`;
  }
  const time = new Date(typeof record["time"] === "number" ? record["time"] : Date.now());
  const stamp = `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}.${pad(time.getMilliseconds(), 3)}`;
  const level = (LEVELS[Number(record["level"])] ?? String(record["level"])).padEnd(5);
  const fields: string[] = [];
  let stack: string | undefined;
  for (const [key, v] of Object.entries(record)) {
    if (HIDDEN.has(key)) continue;
    if (key === "err" && v !== null && typeof v === "object" && "message" in v) {
      const err = v as { message?: unknown; stack?: unknown };
      fields.push(`err=${value(err.message)}`);
      if (typeof err.stack === "string") stack = err.stack.split("\n").slice(1).join("\n");
      continue;
    }
    fields.push(`${key}=${value(v)}`);
  }
  const msg = typeof record["msg"] === "string" ? record["msg"] : "";
  return `${stamp} ${level} ${msg}${fields.length ? `  ${fields.join(" ")}` : ""}\n${stack ? `${stack}\n` : ""}`;
}

/** A pino destination writing readable lines to `out`. */
export function prettyDestination(out: { write(chunk: string): unknown }): DestinationStream {
  return { write: (chunk: string) => void out.write(prettyLine(chunk.trimEnd())) };
}
