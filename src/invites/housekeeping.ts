// Periodic upkeep: delete invites past their expiry (never one with an open claim) and let the
// database tidy its journal. Open claims are not released here: claim settlement asks the server.
import type { Logger } from "pino";
import type { InviteService } from "./service.js";

export interface HousekeepingOptions {
  readonly invites: InviteService;
  /** Store upkeep that is not about invites (e.g. a WAL checkpoint). */
  readonly compact: () => void;
  readonly log: Logger;
  readonly intervalMs: number;
}

export class Housekeeping {
  readonly #o: HousekeepingOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: HousekeepingOptions) {
    this.#o = options;
  }

  /** Runs once now, then every interval. */
  start(): void {
    this.run();
    clearInterval(this.#timer);
    this.#timer = setInterval(() => this.run(), this.#o.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  run(): { purged: number } {
    const { invites, compact, log } = this.#o;
    try {
      const purged = invites.purgeExpired();
      compact();
      if (purged) log.info({ purged }, "housekeeping");
      return { purged };
    } catch (err) {
      // A database that refuses writes is reported by /healthz; upkeep simply tries again later.
      log.warn({ err }, "housekeeping failed");
      return { purged: 0 };
    }
  }
}
