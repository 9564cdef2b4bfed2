// Prometheus metrics (GET /metrics), in the text exposition format 0.0.4. Counts of invites,
// claims, roster steps and registrations are read from the store at each scrape, so they are
// true whichever process (CLI, API, another instance) made the change; refusals and adapter
// latency are this process's own (the domain reports them through InviteEvents and knows
// nothing of Prometheus). Hand-written: a client library cost about 12 MB of memory.
import type { ServerAdapter } from "./invites/ports/server.js";
import type { InviteEvents } from "./invites/domain/events.js";
import type { StoreStats } from "./invites/ports/store.js";

type Labels = Record<string, string>;

const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const labelText = (labels: Labels) => {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}="${escapeLabel(value)}"`);
  return pairs.length ? `{${pairs.join(",")}}` : "";
};

interface Series {
  render(): string[];
}

class Counter implements Series {
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  readonly name: string;
  readonly help: string;
  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }
  inc(labels: Labels): void {
    const key = labelText(labels);
    const entry = this.#values.get(key) ?? { labels, value: 0 };
    entry.value += 1;
    this.#values.set(key, entry);
  }
  render(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`, ...[...this.#values.values()].map(({ labels, value }) => `${this.name}${labelText(labels)} ${value}`)];
  }
}

class Histogram implements Series {
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  readonly name: string;
  readonly help: string;
  readonly buckets: readonly number[];
  constructor(name: string, help: string, buckets: readonly number[]) {
    this.name = name;
    this.help = help;
    this.buckets = buckets;
  }
  observe(labels: Labels, value: number): void {
    const key = labelText(labels);
    const entry = this.#series.get(key) ?? { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
    this.buckets.forEach((bound, i) => {
      if (value <= bound) entry.counts[i] = (entry.counts[i] ?? 0) + 1;
    });
    entry.sum += value;
    entry.count += 1;
    this.#series.set(key, entry);
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count } of this.#series.values()) {
      this.buckets.forEach((bound, i) => lines.push(`${this.name}_bucket${labelText({ ...labels, le: String(bound) })} ${counts[i] ?? 0}`));
      lines.push(`${this.name}_bucket${labelText({ ...labels, le: "+Inf" })} ${count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${sum}`);
      lines.push(`${this.name}_count${labelText(labels)} ${count}`);
    }
    return lines;
  }
}

/** A series whose values are read when scraped (gauges, and counters kept elsewhere). */
class Collected implements Series {
  readonly name: string;
  readonly help: string;
  readonly type: "gauge" | "counter";
  readonly read: () => readonly { labels?: Labels; value: number }[];
  constructor(name: string, help: string, type: "gauge" | "counter", read: () => readonly { labels?: Labels; value: number }[]) {
    this.name = name;
    this.help = help;
    this.type = type;
    this.read = read;
  }
  render(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, ...this.read().map(({ labels, value }) => `${this.name}${labelText(labels ?? {})} ${value}`)];
  }
}

export interface MetricsRegistry {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface Metrics {
  readonly registry: MetricsRegistry;
  readonly events: InviteEvents;
  /** Wraps an adapter so every call's latency and outcome is observed. */
  measure(adapter: ServerAdapter): ServerAdapter;
}

export interface MetricsSources {
  readonly isConnected: () => boolean;
  /** The store's counts now; throws when the database cannot be read. */
  readonly storeStats: () => Promise<StoreStats>;
  /** A store read is reused for this many times as long as it took (default 30). */
  readonly reuseFactor?: number;
}

const MAX_REUSE_MS = 60_000;

export function createMetrics(sources: MetricsSources): Metrics {
  const prefix = "xmpp_invites_";
  const started = Date.now() / 1000;
  // The store's counts are a scan of every invite (a few ms at ten thousand, about 0.4 s at a
  // million): a read is reused for 30 times as long as it took, so however often /metrics is
  // scraped, counting takes at most ~3% of the process's time.
  let last: { until: number; stats: StoreStats | undefined } | undefined;
  const stats = async (): Promise<StoreStats | undefined> => {
    const now = performance.now();
    if (last === undefined || now >= last.until) {
      let read: StoreStats | undefined;
      try {
        read = await sources.storeStats();
      } catch {
        read = undefined;
      }
      const took = performance.now() - now;
      last = { until: now + Math.min(MAX_REUSE_MS, took * (sources.reuseFactor ?? 30)), stats: read };
    }
    return last.stats;
  };
  // Set at the start of each scrape, so every series of one scrape shows the same read.
  let current: StoreStats | undefined;
  const fromStore = (pick: (s: StoreStats) => readonly { labels?: Labels; value: number }[]) => () => (current === undefined ? [] : pick(current));

  const refused = new Counter(`${prefix}redemptions_refused_total`, "Redemptions this process refused, by reason and door");
  const adapterLatency = new Histogram(`${prefix}adapter_call_duration_seconds`, "Time the server adapter took in this process, by operation and outcome",
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  const all: Series[] = [
    new Collected(`${prefix}invites`, "Invites in the store, by kind and status", "gauge",
      fromStore((s) => s.invites.map(({ kind, status, count }) => ({ labels: { kind, status }, value: count })))),
    new Collected(`${prefix}claims_pending`, "Uses reserved by registrations not yet settled", "gauge",
      fromStore((s) => [{ value: s.pendingClaims }])),
    new Collected(`${prefix}roster_steps`, "Roster steps not yet done: queued (all) and failing (retried at least once)", "gauge",
      fromStore((s) => [{ labels: { state: "queued" }, value: s.rosterStepsQueued }, { labels: { state: "failing" }, value: s.rosterStepsFailing }])),
    new Collected(`${prefix}registrations_total`, "Accounts created and passwords reset, by door and action, from the store", "counter",
      fromStore((s) => s.redemptions.map(({ door, action, count }) => ({ labels: { door, action }, value: count })))),
    new Collected(`${prefix}store_readable`, "1 when the last scrape could read the store", "gauge", () => [{ value: current === undefined ? 0 : 1 }]),
    refused,
    adapterLatency,
    new Collected(`${prefix}component_connected`, "1 while the component is connected to the XMPP server", "gauge", () => [{ value: sources.isConnected() ? 1 : 0 }]),
    new Collected("process_resident_memory_bytes", "Resident memory of this process", "gauge", () => [{ value: process.memoryUsage.rss() }]),
    new Collected("process_heap_used_bytes", "V8 heap in use", "gauge", () => [{ value: process.memoryUsage().heapUsed }]),
    new Collected("process_cpu_seconds_total", "CPU time of this process, user and system", "counter", () => {
      const { user, system } = process.cpuUsage();
      return [{ value: (user + system) / 1e6 }];
    }),
    new Collected("process_start_time_seconds", "When this process started, in Unix seconds", "gauge", () => [{ value: started }]),
  ];

  const timed = async <T extends { ok: boolean; reason?: string }>(operation: string, call: () => Promise<T>): Promise<T> => {
    const startedAt = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - startedAt) / 1e9;
    try {
      const result = await call();
      adapterLatency.observe({ operation, outcome: result.ok ? "ok" : (result.reason ?? "failed") }, seconds());
      return result;
    } catch (err) {
      adapterLatency.observe({ operation, outcome: "error" }, seconds());
      throw err;
    }
  };

  return {
    registry: {
      contentType: "text/plain; version=0.0.4; charset=utf-8",
      metrics: async () => {
        current = await stats();
        return `${all.flatMap((series) => series.render()).join("\n")}\n`;
      },
    },
    events: {
      refused: (door, reason) => refused.inc({ reason, door }),
    },
    measure: (adapter) => ({
      kind: adapter.kind,
      ...(adapter.ready ? { ready: () => adapter.ready?.() ?? true } : {}),
      accountExists: async (username) => {
        const check = await timed("account_exists", async () => {
          const result = await adapter.accountExists(username);
          return result.exists === "unknown" ? { ok: false, reason: "unknown", result } : { ok: true, result };
        });
        return check.result;
      },
      createAccount: (account) => timed("create_account", () => adapter.createAccount(account)),
      changePassword: (account) => timed("change_password", () => adapter.changePassword(account)),
      deleteAccount: (username) => timed("delete_account", () => adapter.deleteAccount(username)),
      ...(adapter.start ? { start: () => adapter.start?.() ?? Promise.resolve() } : {}),
      ...(adapter.stop ? { stop: () => adapter.stop?.() ?? Promise.resolve() } : {}),
    }),
  };
}
