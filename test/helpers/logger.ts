// A pino logger writing NDJSON into memory, so tests can assert on log lines (and on what never appears).
import { Writable } from "node:stream";
import type { Logger } from "pino";
import { createLogger } from "../../src/log.js";

export interface CapturedLog {
  readonly log: Logger;
  readonly text: () => string;
  readonly lines: () => Array<Record<string, unknown>>;
}

export function captureLog(level = "debug"): CapturedLog {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString("utf8"));
      callback();
    },
  });
  const log = createLogger(level, sink);
  const text = () => chunks.join("");
  return {
    log,
    text,
    lines: () => text().split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
