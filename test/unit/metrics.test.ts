import { describe, expect, it } from "vitest";
import type { StoreStats } from "../../src/invites/ports/store.js";
import { createMetrics } from "../../src/metrics.js";
import { FakeAdapter } from "../helpers/fake-adapter.js";

const STATS: StoreStats = {
  invites: [{ kind: "account", status: "active", count: 3 }, { kind: "contact+register", status: "used", count: 1 }],
  pendingClaims: 2,
  rosterStepsQueued: 4,
  rosterStepsFailing: 1,
  redemptions: [{ door: "web", action: "created", count: 5 }],
};

describe("Prometheus text exposition", () => {
  it("renders counters with escaped labels, a histogram with cumulative buckets, and the connection gauge", async () => {
    let online = false;
    const metrics = createMetrics({ isConnected: () => online, storeStats: async () => STATS });
    metrics.events.refused?.("web", 'odd "reason"\nhere');
    metrics.events.refused?.("web", 'odd "reason"\nhere');
    const adapter = metrics.measure(new FakeAdapter());
    await adapter.createAccount({ username: "a", password: "p" });
    await adapter.createAccount({ username: "a", password: "p" });
    online = true;
    const text = await metrics.registry.metrics();
    expect(metrics.registry.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(text).toContain("# TYPE xmpp_invites_redemptions_refused_total counter");
    expect(text).toContain('xmpp_invites_redemptions_refused_total{reason="odd \\"reason\\"\\nhere",door="web"} 2');
    expect(text).toContain('xmpp_invites_adapter_call_duration_seconds_bucket{operation="create_account",outcome="ok",le="+Inf"} 1');
    expect(text).toContain('xmpp_invites_adapter_call_duration_seconds_count{operation="create_account",outcome="exists"} 1');
    expect(text).toMatch(/xmpp_invites_adapter_call_duration_seconds_bucket\{operation="create_account",outcome="ok",le="10"\} 1/);
    expect(text).toContain("xmpp_invites_component_connected 1");
    expect(text.endsWith("\n")).toBe(true);
  });

  it("renders the store's counts, and says so when the store cannot be read", async () => {
    let broken = false;
    let reads = 0;
    const metrics = createMetrics({
      isConnected: () => true,
      reuseFactor: 0,
      storeStats: async () => {
        reads++;
        if (broken) throw new Error("disk I/O error");
        return STATS;
      },
    });
    const text = await metrics.registry.metrics();
    expect(reads).toBe(1);
    expect(text).toContain('xmpp_invites_invites{kind="account",status="active"} 3');
    expect(text).toContain('xmpp_invites_invites{kind="contact+register",status="used"} 1');
    expect(text).toContain("xmpp_invites_claims_pending 2");
    expect(text).toContain('xmpp_invites_roster_steps{state="queued"} 4');
    expect(text).toContain('xmpp_invites_roster_steps{state="failing"} 1');
    expect(text).toContain("# TYPE xmpp_invites_registrations_total counter");
    expect(text).toContain('xmpp_invites_registrations_total{door="web",action="created"} 5');
    expect(text).toContain("xmpp_invites_store_readable 1");
    expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
    broken = true;
    const failing = await metrics.registry.metrics();
    expect(failing).toContain("xmpp_invites_store_readable 0");
    expect(failing).not.toContain("xmpp_invites_claims_pending 2");
  });

  it("reuses a slow store read instead of scanning again at every scrape", async () => {
    let reads = 0;
    const slow = async () => {
      reads++;
      const until = performance.now() + 20;
      while (performance.now() < until);
      return STATS;
    };
    const metrics = createMetrics({ isConnected: () => true, reuseFactor: 1000, storeStats: slow });
    await metrics.registry.metrics();
    await metrics.registry.metrics();
    expect(reads).toBe(1);
  });
});
