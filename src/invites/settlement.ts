// Claim settlement: a claim left open by a crash, a timeout or a lost link is resolved by asking the
// server whether its account exists. Exists: the use is recorded exactly as the registration would
// have (redemption, roster steps, metrics). Missing: the use is given back at once. No answer: the
// claim stays reserved and is asked about again; a timer alone never gives a use back.
import type { Logger } from "pino";
import type { InviteEvents } from "./events.js";
import type { ServerAdapter } from "./ports.js";
import type { InviteService } from "./service.js";

export interface SettlementReport {
  /** Claims looked at (those this process is not working on). */
  readonly open: number;
  readonly recorded: number;
  readonly released: number;
  /** The server could not tell: still reserved. */
  readonly kept: number;
  /** Nothing was looked at here (another instance held the settlement job, or the database failed): look again soon. */
  readonly busy?: boolean;
}

export interface SettlementOptions {
  readonly invites: InviteService;
  readonly adapter: ServerAdapter;
  readonly log: Logger;
  readonly intervalMs: number;
  readonly events?: InviteEvents;
  /** Called when a use was recorded, so its roster steps run promptly. */
  readonly onRecorded?: () => void;
  /** First wait before asking again about a claim the server could not settle (doubling up to `intervalMs`). */
  readonly retryMs?: number;
  /** Runs a pass only where no other instance runs one (undefined: another does, and settles). */
  readonly exclusively?: (work: () => Promise<SettlementReport>) => Promise<SettlementReport | undefined>;
}

const EMPTY: SettlementReport = { open: 0, recorded: 0, released: 0, kept: 0 };
/** Another instance was settling: this one looks again shortly, in case it came too late for that pass. */
const BUSY: SettlementReport = { ...EMPTY, busy: true };

export class ClaimSettlement {
  readonly #o: SettlementOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<SettlementReport> | undefined;
  #again = false;
  #total = { recorded: 0, released: 0 };
  #retry: NodeJS.Timeout | undefined;
  #retryDelay: number;
  #stopped = false;

  constructor(options: SettlementOptions) {
    this.#o = options;
    this.#retryDelay = options.retryMs ?? 2000;
  }

  /** A claim was just left open (no answer in time): ask the server again shortly, not at the next interval. */
  soon(): void {
    this.#schedule(this.#o.retryMs ?? 2000);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped || this.#retry !== undefined) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      void this.run("retry");
    }, delayMs);
    this.#retry.unref();
  }

  /** Settled since start: for the log and tests. */
  get totals(): { recorded: number; released: number } {
    return { ...this.#total };
  }

  /** Runs now and then every interval (each run is cheap when no claim is open). */
  start(): void {
    this.#timer = setInterval(() => void this.run("periodic"), this.#o.intervalMs);
    this.#timer.unref();
    void this.run("start");
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearTimeout(this.#retry);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** One pass over the open claims; a call during a pass runs one more pass after it. */
  run(reason: string): Promise<SettlementReport> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    const pass = (async () => {
      let report = EMPTY;
      do {
        this.#again = false;
        const pass = () => this.#pass(reason);
        report = await (this.#o.exclusively ? this.#o.exclusively(pass).then((done) => done ?? BUSY) : pass()).catch((err: unknown) => {
          this.#o.log.error({ err }, "claim settlement failed; will retry");
          return BUSY;
        });
      } while (this.#again);
      return report;
    })();
    this.#running = pass.then((report) => {
      // Claims the server could not settle are asked about again, sooner than the interval at first;
      // so are claims of another instance, which may have died with them.
      if (report.kept > 0 || report.busy === true || this.#o.invites.claimsHeldElsewhere > 0) {
        this.#schedule(this.#retryDelay);
        this.#retryDelay = Math.min(this.#retryDelay * 2, this.#o.intervalMs, 10_000);
      } else {
        this.#retryDelay = this.#o.retryMs ?? 2000;
      }
      return report;
    }).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #pass(reason: string): Promise<SettlementReport> {
    const { invites, adapter, log, events } = this.#o;
    const open = await invites.unsettledClaims();
    if (open.length === 0) return EMPTY;
    let recorded = 0;
    let released = 0;
    let kept = 0;
    let silent: string | undefined;
    for (const claim of open) {
      let exists = false;
      if (await invites.needsAccountCheck(claim)) {
        // Once the server could not tell, the rest wait for the next pass instead of each waiting out a timeout.
        const check = silent === undefined ? await adapter.accountExists(claim.username ?? "") : { exists: "unknown" as const, detail: silent };
        if (check.exists === "unknown") {
          kept += 1;
          silent = check.detail ?? "no answer";
          await invites.noteUnsettled(claim, silent);
          log.warn({ claim: claim.id, invite: claim.inviteId, checks: claim.checks + 1, detail: check.detail }, "cannot tell whether the account of an open claim exists; the invite stays reserved");
          continue;
        }
        exists = check.exists;
      }
      const settled = await invites.settle(claim, exists);
      if (settled.action === "recorded") {
        recorded += 1;
        log.info({ claim: claim.id, invite: claim.inviteId, jid: settled.jid }, "open claim settled: the account exists, its use is recorded");
        events?.registered?.(settled.door, "created", settled.invite, settled.jid);
      } else {
        released += 1;
        log.info({ claim: claim.id, invite: claim.inviteId, why: settled.why }, "open claim settled: use given back");
      }
    }
    this.#total.recorded += recorded;
    this.#total.released += released;
    log.info({ reason, open: open.length, recorded, released, kept }, "claim settlement");
    if (recorded > 0) this.#o.onRecorded?.();
    return { open: open.length, recorded, released, kept };
  }
}
