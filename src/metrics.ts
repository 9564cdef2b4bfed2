// Prometheus metrics (GET /metrics), in the text exposition format 0.0.4. The domain reports
// through InviteEvents; this file turns those reports into counters, so no domain code knows
// about Prometheus. Hand-written: a client library cost about 12 MB of memory for a handful of series.
import type { ServerAdapter } from "./invites/ports.js";
import type { InviteEvents } from "./invites/events.js";
import { inviteKind } from "./invites/invite.js";

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

class Gauge implements Series {
  readonly name: string;
  readonly help: string;
  readonly read: () => number;
  constructor(name: string, help: string, read: () => number) {
    this.name = name;
    this.help = help;
    this.read = read;
  }
  render(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`, `${this.name} ${this.read()}`];
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

export function createMetrics(isConnected: () => boolean): Metrics {
  const prefix = "xmpp_invites_";
  const created = new Counter(`${prefix}invites_created_total`, "Invites created, by kind");
  const redeemed = new Counter(`${prefix}invites_redeemed_total`, "Invite redemptions that succeeded, by kind");
  const refused = new Counter(`${prefix}redemptions_refused_total`, "Redemptions refused, by reason");
  const registrations = new Counter(`${prefix}registrations_total`, "Accounts created or passwords reset, by door");
  const adapterLatency = new Histogram(`${prefix}adapter_call_duration_seconds`, "Time the server adapter took, by operation and outcome",
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  const connected = new Gauge(`${prefix}component_connected`, "1 while the component is connected to the XMPP server", () => (isConnected() ? 1 : 0));
  const all: Series[] = [created, redeemed, refused, registrations, adapterLatency, connected];

  const timed = async <T extends { ok: boolean; reason?: string }>(operation: string, call: () => Promise<T>): Promise<T> => {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
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
      metrics: async () => `${all.flatMap((series) => series.render()).join("\n")}\n`,
    },
    events: {
      created: (invite) => created.inc({ kind: inviteKind(invite) }),
      registered: (door, action, invite) => {
        registrations.inc({ door, action });
        if (invite) redeemed.inc({ kind: inviteKind(invite) });
      },
      refused: (door, reason) => refused.inc({ reason, door }),
    },
    measure: (adapter) => ({
      kind: adapter.kind,
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
