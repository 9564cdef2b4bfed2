// Periodic upkeep: give back uses claimed by registrations that never finished, delete invites
// past their expiry, and let the database tidy its journal.
import type { Logger } from "pino";
import type { InviteService } from "./service.js";

export interface HousekeepingOptions {
  readonly invites: InviteService;
  /** Store upkeep that is not about invites (e.g. a WAL checkpoint). */
  readonly compact: () => void;
  readonly log: Logger;
  readonly intervalMs: number;
  /** Longer than any adapter call can take, so only abandoned claims are released. */
  readonly staleClaimMs: number;
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

  run(): { released: number; purged: number } {
    const { invites, compact, log, staleClaimMs } = this.#o;
    const released = invites.releaseStaleClaims(staleClaimMs);
    const purged = invites.purgeExpired();
    compact();
    if (released || purged) log.info({ released, purged }, "housekeeping");
    return { released, purged };
  }
}
