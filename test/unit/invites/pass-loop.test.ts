// The loop under the roster steps and the queued messages: one pass at a time, asks during a pass
// folded into exactly one more, the wait `next` names honoured, a failed pass logged and carried on.
import { afterEach, describe, expect, it, vi } from "vitest";
import { PassLoop } from "../../../src/invites/social/pass-loop.js";
import { captureLog } from "../../helpers/logger.js";

afterEach(() => {
  vi.useRealTimers();
});

function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe("PassLoop", () => {
  it("runs one pass at a time; three asks during a pass make exactly one more pass", async () => {
    const first = gate();
    let passes = 0;
    let concurrent = 0;
    let most = 0;
    const loop = new PassLoop<number>({
      pass: async () => {
        passes += 1;
        concurrent += 1;
        most = Math.max(most, concurrent);
        if (passes === 1) await first.opened;
        concurrent -= 1;
        return 0;
      },
      failed: () => 0,
      next: async () => undefined,
      log: captureLog().log,
      what: "test",
    });
    loop.start();
    loop.soon();
    loop.soon();
    loop.soon();
    first.open();
    await vi.waitFor(() => expect(passes).toBe(2));
    await loop.stop();
    expect(passes).toBe(2);
    expect(most).toBe(1);
  });

  it("waits as long as `next` says, and not at all when it says undefined or after stop", async () => {
    vi.useFakeTimers();
    let passes = 0;
    const waits: Array<number | undefined> = [1000, undefined];
    const loop = new PassLoop<number>({
      pass: async () => ++passes,
      failed: () => 0,
      next: async () => waits.shift(),
      log: captureLog().log,
      what: "test",
    });
    loop.start();
    await vi.advanceTimersByTimeAsync(999);
    expect(passes).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(passes).toBe(2);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(passes).toBe(2);
    await loop.stop();
    loop.soon();
    await vi.advanceTimersByTimeAsync(1000);
    expect(passes).toBe(2);
  });

  it("a pass that throws is handed to `failed`, whose answer `next` gets; the loop goes on", async () => {
    vi.useFakeTimers();
    const logs = captureLog();
    let passes = 0;
    const given: number[] = [];
    const loop = new PassLoop<number>({
      pass: async () => {
        passes += 1;
        if (passes === 1) throw new Error("store down");
        return 7;
      },
      failed: (err) => {
        logs.log.warn({ err }, "pass failed");
        return 500;
      },
      next: async (result) => {
        given.push(result);
        return result === 500 ? 500 : undefined;
      },
      log: logs.log,
      what: "test",
    });
    loop.start();
    await vi.advanceTimersByTimeAsync(500);
    expect(passes).toBe(2);
    expect(given).toEqual([500, 7]);
    expect(logs.text()).toContain("pass failed");
    await loop.stop();
  });
});
