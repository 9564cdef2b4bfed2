// Claim settlement: a claim left open by a crash, a timeout or a lost link is resolved by asking the
// server whether its account exists. Exists: the use is recorded exactly as the registration would
// have (redemption, roster steps, metrics). Missing: the use is given back at once. No answer: the
// claim stays reserved and is asked about again; a timer alone never gives a use back. A contact
// claim of the server's bridge is resolved by whether the inviter's roster approves the invitee;
// a password-reset claim waits for the server's own report (or the end of its invite).
import type { Logger } from "pino";
import { isAppError } from "../../errors.js";
import type { ContactInvites } from "../social/contacts.js";
import type { InviteEvents } from "../domain/events.js";
import type { ServerAdapter, SubscriptionCheck } from "../ports/server.js";
import type { InviteService } from "../service/invite-service.js";
import type { PendingClaim } from "../ports/store.js";

export interface SettlementReport {
  /** Claims looked at (those this process is not working on). */
  readonly open: number;
  readonly recorded: number;
  readonly released: number;
  /** The server could not tell: still reserved. */
  readonly kept: number;
  /** Nothing can be asked (password resets): still reserved, waiting for the server's report. */
  readonly waiting: number;
  /** Nothing was looked at here (another instance held the settlement job, or the database failed): look again soon. */
  readonly busy?: boolean;
}

export interface SettlementOptions {
  readonly invites: InviteService;
  readonly adapter: ServerAdapter;
  readonly log: Logger;
  readonly intervalMs: number;
  readonly events?: InviteEvents;
  /** Contact claims of the server's bridge: the server's answer, and where it is recorded. Absent: they stay reserved. */
  readonly contacts?: { readonly check: SubscriptionCheck; readonly invites: Pick<ContactInvites, "settleLost"> };
  /** Called when a use was recorded, so its roster steps run promptly. */
  readonly onRecorded?: () => void;
  /** First wait before asking again about a claim the server could not settle (doubling up to `intervalMs`). */
  readonly retryMs?: number;
  /** Runs a pass only where no other instance runs one (undefined: another does, and settles). */
  readonly exclusively?: (work: () => Promise<SettlementReport>) => Promise<SettlementReport | undefined>;
}

const EMPTY: SettlementReport = { open: 0, recorded: 0, released: 0, kept: 0, waiting: 0 };
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
    const { invites, adapter, log, events, contacts } = this.#o;
    const open = await invites.unsettledClaims();
    if (open.length === 0) return EMPTY;
    let recorded = 0;
    let released = 0;
    let kept = 0;
    let waiting = 0;
    // Once the server could not tell, the rest wait for the next pass instead of each waiting out a timeout.
    let silent: string | undefined;
    let silentBridge: string | undefined;
    const unknown = async (claim: PendingClaim, detail: string, what: string) => {
      kept += 1;
      await invites.noteCheck(claim, detail);
      log.warn({ claim: claim.id, invite: claim.inviteId, checks: claim.checks + 1, detail }, `cannot tell whether ${what} of an open claim exists; the invite stays reserved`);
    };
    for (const claim of open) {
      const question = await invites.settlementQuestion(claim);
      if (question.ask === "subscription") {
        const answer = await this.#askSubscription(question.inviter, question.invitee, silentBridge);
        if (answer.approved === "unknown") {
          silentBridge = answer.detail;
          await unknown(claim, answer.detail, "the subscription");
          continue;
        }
        if (!contacts) continue; // never: without them the answer is "unknown"
        // The module's own report may have arrived while the server was asked: then it is settled already.
        const settled = await contacts.invites.settleLost(claim.id, question.invitee, answer.approved).then(() => true, (err: unknown) => {
          if (isAppError(err) && err.code === "claim-not-found") return false;
          throw err;
        });
        if (!settled) continue;
        if (answer.approved) recorded += 1;
        else released += 1;
        log.info({ claim: claim.id, invite: claim.inviteId, invitee: question.invitee }, answer.approved ? "open contact claim settled: the inviter approved the invitee, its use is recorded" : "open contact claim settled: no approval, use given back");
        continue;
      }
      let exists = false;
      if (question.ask === "account") {
        const check = silent === undefined ? await adapter.accountExists(question.username) : { exists: "unknown" as const, detail: silent };
        if (check.exists === "unknown") {
          silent = check.detail ?? "no answer";
          await unknown(claim, silent, "the account");
          continue;
        }
        exists = check.exists;
      }
      const settled = await invites.settle(claim, exists);
      if (settled.action === "waiting") {
        waiting += 1;
      } else if (settled.action === "recorded") {
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
    log.info({ reason, open: open.length, recorded, released, kept, waiting }, "claim settlement");
    if (recorded > 0) this.#o.onRecorded?.();
    return { open: open.length, recorded, released, kept, waiting };
  }

  /** The server's word on a bridge contact claim; "unknown" without a way to ask. */
  async #askSubscription(inviter: string, invitee: string, silent: string | undefined): Promise<{ approved: boolean | "unknown"; detail: string }> {
    const { contacts } = this.#o;
    if (!contacts) return { approved: "unknown", detail: "no way to ask the server's bridge" };
    if (silent !== undefined) return { approved: "unknown", detail: silent };
    const answer = await contacts.check.approved(inviter, invitee);
    return { approved: answer.approved, detail: answer.detail ?? "no answer" };
  }
}
