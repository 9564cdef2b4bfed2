// Periodic upkeep: delete invites past their expiry (never one with an open claim) and let the
// database tidy its journal. Open claims are not released here: claim settlement asks the server.
import type { Logger } from "pino";
import type { InviteService } from "./invite-service.js";

export interface HousekeepingOptions {
  readonly invites: InviteService;
  /** Store upkeep that is not about invites (e.g. a WAL checkpoint). */
  readonly compact: () => Promise<void>;
  readonly log: Logger;
  readonly intervalMs: number;
  /** Runs a pass only where no other instance runs one (undefined: another does). */
  readonly exclusively?: (work: () => Promise<{ purged: number }>) => Promise<{ purged: number } | undefined>;
}

export class Housekeeping {
  readonly #o: HousekeepingOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  constructor(options: HousekeepingOptions) {
    this.#o = options;
  }

  /** Runs once now, then every interval. */
  start(): void {
    void this.run();
    clearInterval(this.#timer);
    this.#timer = setInterval(() => void this.run(), this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  async run(): Promise<{ purged: number }> {
    const { invites, compact, log } = this.#o;
    const pass = async () => {
      const purged = await invites.purgeExpired();
      await compact();
      if (purged) log.info({ purged }, "housekeeping");
      return { purged };
    };
    const running = (this.#o.exclusively ? this.#o.exclusively(pass) : pass()).then(
      (result) => result ?? { purged: 0 },
      (err: unknown) => {
        // A database that refuses writes is reported by /healthz; upkeep simply tries again later.
        log.warn({ err }, "housekeeping failed");
        return { purged: 0 };
      },
    );
    this.#running = running;
    return running;
  }
}
