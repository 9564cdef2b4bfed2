// The registration rate limit: counted in the shared store when there is one (every instance on the
// database against one limit), in memory otherwise, and in memory while the store fails. A refusal
// says the real wait: what is left of the window, wherever it was opened.
import { describe, expect, it } from "vitest";
import { RateLimiter, type SharedHits } from "../../../src/http/guards.js";
import { openSqliteStores } from "../../../src/adapters/store/sqlite/index.js";

describe("RateLimiter", () => {
  it("two limiters on one store (two instances) share one limit per key and window; the wait is the shared window's end", async () => {
    const stores = openSqliteStores(":memory:");
    let now = 1_000_000;
    const shared: SharedHits = { name: "registration", hit: (key, at, windowMs) => stores.rateLimits.hit(key, at, windowMs), sweep: (at) => stores.rateLimits.sweep(at) };
    const [a, b] = [new RateLimiter(3, 60_000, () => now, shared), new RateLimiter(3, 60_000, () => now, shared)];
    try {
      const taken = [await a.take("192.0.2.1"), await b.take("192.0.2.1"), await a.take("192.0.2.1")];
      expect(taken.every((verdict) => verdict.ok)).toBe(true);
      now += 20_000;
      expect(await b.take("192.0.2.1")).toEqual({ ok: false, retryAfterSeconds: 40 });
      expect(await b.take("192.0.2.2")).toEqual({ ok: true });
      now += 40_000;
      expect(await a.take("192.0.2.1")).toEqual({ ok: true });
    } finally {
      await stores.close();
    }
  });

  it("while the store fails, each process counts alone", async () => {
    const failing: SharedHits = { name: "registration", hit: () => Promise.reject(new Error("down")), sweep: () => Promise.reject(new Error("down")) };
    const limiter = new RateLimiter(2, 60_000, () => 5, failing);
    expect([await limiter.take("k"), await limiter.take("k"), await limiter.take("k")]).toEqual([{ ok: true }, { ok: true }, { ok: false, retryAfterSeconds: 60 }]);
  });
});
