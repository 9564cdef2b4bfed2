import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort, freePorts } from "../../tools/demo/ports.js";

// A server's listeners on one port make it refuse to start ("Overlapping listeners"), so the
// throwaway servers' ports must be distinct and free, even when asked for one at a time.
describe("throwaway server ports", () => {
  it("hands out distinct ports in one call and across calls", async () => {
    const batch = await freePorts(4);
    const singles = [await freePort(), await freePort(), await freePort(), await freePort()];
    const all = [...batch, ...singles];
    expect(new Set(all).size).toBe(all.length);
  });

  it("takes a test worker's ports from its own slice below the ephemeral range", async () => {
    const id = Number(process.env["VITEST_POOL_ID"]);
    const ports = await freePorts(8);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000 + (id % 70) * 300);
      expect(port).toBeLessThan(10_000 + (id % 70) * 300 + 300);
    }
  });

  it("skips a port something already listens on", async () => {
    const [port] = await freePorts(1);
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, "127.0.0.1", () => resolve()));
    try {
      // The slice wraps after 300 ports, so 300 more asks come back round to the squatted one.
      const later = await freePorts(299);
      expect(later).not.toContain(port);
      for (const p of later.slice(-4)) {
        const probe = createServer();
        await new Promise<void>((resolve, reject) => {
          probe.once("error", reject);
          probe.listen(p, "127.0.0.1", () => resolve());
        });
        await new Promise<void>((resolve) => probe.close(() => resolve()));
      }
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });
});
