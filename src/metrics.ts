// Prometheus metrics (GET /metrics). The domain reports through InviteEvents; this file turns
// those reports into counters, so no domain code knows about Prometheus.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ServerAdapter } from "./adapters/adapter.js";
import type { InviteEvents } from "./invites/events.js";
import { inviteKind } from "./invites/invite.js";

export interface Metrics {
  readonly registry: Registry;
  readonly events: InviteEvents;
  /** Wraps an adapter so every call's latency and outcome is observed. */
  measure(adapter: ServerAdapter): ServerAdapter;
}

export function createMetrics(isConnected: () => boolean): Metrics {
  const registry = new Registry();
  const prefix = "xmpp_invites_";
  const created = new Counter({ name: `${prefix}invites_created_total`, help: "Invites created, by kind", labelNames: ["kind"], registers: [registry] });
  const redeemed = new Counter({ name: `${prefix}invites_redeemed_total`, help: "Invite redemptions that succeeded, by kind", labelNames: ["kind"], registers: [registry] });
  const refused = new Counter({ name: `${prefix}redemptions_refused_total`, help: "Redemptions refused, by reason", labelNames: ["reason", "door"], registers: [registry] });
  const registrations = new Counter({ name: `${prefix}registrations_total`, help: "Accounts created or passwords reset, by door", labelNames: ["door", "action"], registers: [registry] });
  const adapterLatency = new Histogram({
    name: `${prefix}adapter_call_duration_seconds`,
    help: "Time the server adapter took, by operation and outcome",
    labelNames: ["operation", "outcome"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Gauge({
    name: `${prefix}component_connected`,
    help: "1 while the component is connected to the XMPP server",
    registers: [registry],
    collect() {
      this.set(isConnected() ? 1 : 0);
    },
  });

  const timed = async <T extends { ok: boolean; reason?: string }>(operation: string, call: () => Promise<T>): Promise<T> => {
    const stop = adapterLatency.startTimer({ operation });
    try {
      const result = await call();
      stop({ outcome: result.ok ? "ok" : (result.reason ?? "failed") });
      return result;
    } catch (err) {
      stop({ outcome: "error" });
      throw err;
    }
  };

  return {
    registry,
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
      createAccount: (account) => timed("create_account", () => adapter.createAccount(account)),
      changePassword: (account) => timed("change_password", () => adapter.changePassword(account)),
      deleteAccount: (username) => timed("delete_account", () => adapter.deleteAccount(username)),
      ...(adapter.start ? { start: () => adapter.start?.() ?? Promise.resolve() } : {}),
      ...(adapter.stop ? { stop: () => adapter.stop?.() ?? Promise.resolve() } : {}),
    }),
  };
}
