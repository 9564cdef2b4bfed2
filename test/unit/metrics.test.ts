import { describe, expect, it } from "vitest";
import { createMetrics } from "../../src/metrics.js";
import { FakeAdapter } from "../helpers/fake-adapter.js";

describe("Prometheus text exposition", () => {
  it("renders counters with escaped labels, a histogram with cumulative buckets, and the connection gauge", async () => {
    let online = false;
    const metrics = createMetrics(() => online);
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
});
