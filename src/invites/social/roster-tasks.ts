// Runs the roster steps that follow a registration (XEP-0379 mutual subscriptions, groups).
// Each step was recorded in the store with the redemption; it is retried with backoff until the
// server takes it, so an outage or a restart never leaves a pair half-subscribed.
import type { Logger } from "pino";
import type { RosterWriter } from "../ports/roster.js";
import type { Clock } from "../domain/clock.js";
import type { RosterQueue, RosterTask } from "../ports/store.js";
import { isAccountJid } from "../../protocol/jid.js";
import { PassLoop } from "./pass-loop.js";

export interface RosterTaskOptions {
  readonly queue: RosterQueue;
  readonly roster: RosterWriter;
  readonly clock: Clock;
  readonly log: Logger;
  /** Only JIDs on this domain (with a localpart) are ever put on a roster. */
  readonly domain: string;
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
  /** How often to look again while the roster capability is unavailable. */
  readonly pollMs?: number;
  /**
   * Runs a pass only where no other instance runs one (undefined: another does). Absent: every
   * pass runs here.
   */
  readonly exclusively?: (work: () => Promise<number>) => Promise<number | undefined>;
  /** How often to look for steps other instances queued while none is due here (several instances on one database). */
  readonly idlePollMs?: number;
}

/** How soon to look again when another instance was running the steps. */
const BUSY_RETRY_MS = 1000;

const BATCH = 50;

export class RosterTaskRunner {
  readonly #o: RosterTaskOptions;
  readonly #retry: { initialMs: number; maxMs: number };
  /** A pass hands on how soon to look again at the latest (another instance was busy, or the store failed). */
  readonly #loop: PassLoop<number | undefined>;

  constructor(options: RosterTaskOptions) {
    this.#o = options;
    this.#retry = { ...(options.retry ?? { initialMs: 5000, maxMs: 5 * 60_000 }) };
    this.#loop = new PassLoop<number | undefined>({
      pass: async () => {
        const done = options.exclusively ? await options.exclusively(() => this.runDue()) : await this.runDue();
        return done === undefined ? BUSY_RETRY_MS : undefined;
      },
      failed: (err) => {
        options.log.error({ err }, "roster tasks failed");
        return options.pollMs ?? 30_000;
      },
      next: (retryMs) => this.#nextWait(retryMs),
      log: options.log,
      what: "roster tasks",
    });
    // Steps that waited for the right (e.g. a XEP-0356 grant) run as soon as it comes.
    options.roster.onAvailable?.(() => this.soon());
  }

  start(): void {
    this.#loop.start();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** Run due tasks soon (after a registration, or when the server is back). */
  soon(): void {
    this.#loop.soon();
  }

  /** Runs every task that is due now; returns how many were done. */
  async runDue(): Promise<number> {
    const { queue, roster, clock } = this.#o;
    let done = 0;
    for (;;) {
      if (!roster.isAvailable()) return done;
      const tasks = await queue.due(clock.now(), BATCH);
      if (tasks.length === 0) return done;
      for (const task of tasks) {
        if (await this.#runOne(task)) done += 1;
      }
    }
  }

  async #runOne(task: RosterTask): Promise<boolean> {
    const { queue, roster, clock, log } = this.#o;
    if (!isAccountJid(task.owner, this.#o.domain) || !isAccountJid(task.contact, this.#o.domain)) {
      // Never put the component (or any non-user) on a roster: drop the step, loudly.
      await queue.done(task.id, clock.now());
      log.warn({ task: task.id, owner: task.owner, contact: task.contact }, "roster step skipped: not a user of the domain");
      return false;
    }
    const result = await roster.setSubscribed(task.owner, { jid: task.contact, groups: task.groups });
    if (result.ok) {
      await queue.done(task.id, clock.now());
      log.info({ owner: task.owner, contact: task.contact, groups: task.groups }, "roster item set (subscription both)");
      return true;
    }
    const delay = Math.min(this.#retry.maxMs, this.#retry.initialMs * 2 ** task.attempts);
    await queue.failed(task.id, clock.now() + delay, `${result.reason}: ${result.detail ?? ""}`);
    log.warn({ owner: task.owner, contact: task.contact, attempt: task.attempts + 1, retryInMs: delay, reason: result.reason, detail: result.detail }, "roster step failed; will retry");
    return false;
  }

  /** How long until the next due step; `retryMs` caps the wait. */
  async #nextWait(retryMs: number | undefined): Promise<number | undefined> {
    const next = await this.#o.queue.nextAt().catch(() => this.#o.clock.now() + (this.#o.pollMs ?? 30_000));
    if (next === undefined) return this.#o.idlePollMs;
    const due = this.#o.roster.isAvailable() ? Math.max(0, next - this.#o.clock.now()) : (this.#o.pollMs ?? 30_000);
    const wait = [due, retryMs, this.#o.idlePollMs].filter((ms): ms is number => ms !== undefined);
    return Math.min(...wait);
  }
}
