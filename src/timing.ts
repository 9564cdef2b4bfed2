// Opt-in timing of a request's parts for the benchmark's breakdown (XMPP_INVITES_TIMING=1):
// monotonic marks, one debug line per request. Off by default, and then nothing is measured.
import type { Logger } from "pino";

export interface Timing {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** One line: what was handled and how long each part took, in ms. No tokens, names or passwords. */
  report(what: string, parts: Record<string, number>): void;
}

export function timingFromEnv(log: Logger, env: NodeJS.ProcessEnv = process.env): Timing | undefined {
  if (env["XMPP_INVITES_TIMING"] !== "1") return undefined;
  return {
    now: () => performance.now(),
    report: (what, parts) => log.debug({ timing: what, ...parts }, "timing"),
  };
}
