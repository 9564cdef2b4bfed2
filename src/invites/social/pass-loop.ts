// One pass at a time over a queue kept in the store (roster steps, queued messages): a pass asked
// for while one runs becomes one more pass right after it, and between passes a single timer waits
// for whatever the queue says comes due next.
import type { Logger } from "pino";

export interface PassLoopOptions<R> {
  /** One pass over the queue; what it resolves to is handed to `next`. */
  readonly pass: () => Promise<R>;
  /** A pass threw: log it, and say what `next` is handed instead. */
  readonly failed: (err: unknown) => R;
  /** How long to wait for the next pass after one (undefined: until `soon()` is called). */
  readonly next: (result: R) => Promise<number | undefined>;
  readonly log: Logger;
  /** Names the queue in the log line of a loop that could not be scheduled. */
  readonly what: string;
}

export class PassLoop<R> {
  readonly #o: PassLoopOptions<R>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;

  constructor(options: PassLoopOptions<R>) {
    this.#o = options;
  }

  start(): void {
    this.#stopped = false;
    this.soon();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Runs a pass soon: now, or right after the one under way. */
  soon(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#running = this.#o.pass()
      .catch((err: unknown) => this.#o.failed(err))
      .then(async (result) => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.soon();
          return;
        }
        if (this.#stopped) return;
        const wait = await this.#o.next(result);
        if (wait !== undefined && !this.#stopped) this.#wake(wait);
      })
      .catch((err: unknown) => this.#o.log.error({ err }, `${this.#o.what} could not be scheduled`));
  }

  #wake(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.soon(), Math.min(ms, 2 ** 31 - 1));
    this.#timer.unref();
  }
}
