// Sends the component's queued chat messages (notices to inviters, admins and watchers, welcome
// texts) from whichever instance holds the XMPP link: the instance that served a registration may
// have none (a standby). One instance at a time runs a pass; a message is taken in the store
// before it is sent, so none is sent twice. A failed send puts it back, retried with backoff.
import type { Logger } from "pino";
import type { Clock } from "../domain/clock.js";
import type { Notifier } from "../ports/notifier.js";
import type { Outbox, OutboxMessage } from "../ports/store.js";
import { PassLoop } from "./pass-loop.js";

export interface OutboxOptions {
  readonly outbox: Outbox;
  /** Hands one message to the server; rejects when it cannot (e.g. not connected). */
  readonly send: (message: OutboxMessage) => Promise<void>;
  readonly isOnline: () => boolean;
  readonly clock: Clock;
  readonly log: Logger;
  /** Runs a pass only where no other instance runs one (undefined: another does). */
  readonly exclusively?: (work: () => Promise<number>) => Promise<number | undefined>;
  /** How often to look for messages other instances queued (several instances on one database); absent: only when told. */
  readonly pollMs?: number;
}

const BATCH = 50;
const RETRY_MS = 5000;
const MAX_RETRY_MS = 5 * 60_000;
/** Sent rows are kept a day (to look at), unsent ones given up after a week. */
const KEEP_SENT_MS = 86_400_000;
const GIVE_UP_MS = 7 * 86_400_000;

export class OutboxSender {
  readonly #o: OutboxOptions;
  readonly #loop: PassLoop<number>;
  #purgedAt = 0;

  constructor(options: OutboxOptions) {
    this.#o = options;
    this.#loop = new PassLoop<number>({
      pass: () => (!options.isOnline() ? Promise.resolve(0) : options.exclusively ? options.exclusively(() => this.runDue()).then((sent) => sent ?? 0) : this.runDue()),
      failed: (err) => {
        options.log.warn({ err }, "queued messages could not be sent; will retry");
        return 0;
      },
      next: () => this.#nextWait(),
      log: options.log,
      what: "queued messages",
    });
  }

  /** Queues a message in the store as the notifier of the invite events. */
  notifier(): Notifier {
    return {
      notify: async (to, text) => {
        await this.#o.outbox.enqueue(to, text, this.#o.clock.now());
        this.soon();
      },
    };
  }

  start(): void {
    this.#loop.start();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** Send what is due soon (after a message was queued, or when the link is back). */
  soon(): void {
    this.#loop.soon();
  }

  /** Sends every message due now; answers how many were sent. */
  async runDue(): Promise<number> {
    const { outbox, clock } = this.#o;
    await this.#purge();
    let sent = 0;
    for (;;) {
      if (!this.#o.isOnline()) return sent;
      const messages = await outbox.due(clock.now(), BATCH);
      if (messages.length === 0) return sent;
      for (const message of messages) {
        if (await this.#sendOne(message)) sent += 1;
      }
    }
  }

  async #sendOne(message: OutboxMessage): Promise<boolean> {
    const { outbox, clock, log } = this.#o;
    if (!(await outbox.take(message.id, clock.now()))) return false;
    try {
      await this.#o.send(message);
      return true;
    } catch (err) {
      const delay = Math.min(MAX_RETRY_MS, RETRY_MS * 2 ** message.attempts);
      await outbox.putBack(message.id, clock.now() + delay);
      log.warn({ to: message.to, attempt: message.attempts + 1, retryInMs: delay, err: err instanceof Error ? err.message : String(err) }, "could not send a notice; will retry");
      return false;
    }
  }

  async #purge(): Promise<void> {
    const now = this.#o.clock.now();
    if (now - this.#purgedAt < 3_600_000) return;
    this.#purgedAt = now;
    const dropped = await this.#o.outbox.purge(now - KEEP_SENT_MS, now - GIVE_UP_MS);
    if (dropped > 0) this.#o.log.warn({ dropped }, "notices that found no connected instance for a week were dropped");
  }

  /** The next due message, or the poll for other instances' messages, whichever comes first. */
  async #nextWait(): Promise<number | undefined> {
    const next = this.#o.isOnline() ? await this.#o.outbox.nextAt().catch(() => undefined) : undefined;
    const due = next === undefined ? undefined : Math.max(0, next - this.#o.clock.now());
    return due === undefined ? this.#o.pollMs : this.#o.pollMs === undefined ? due : Math.min(due, this.#o.pollMs);
  }
}
