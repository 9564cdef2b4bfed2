// While the XMPP server is away, each connection attempt gives one warning line, not three.
import { describe, expect, it } from "vitest";
import { freePort } from "../../tools/demo/ports.js";
import { createComponentConnection } from "../../src/xmpp/component.js";
import { captureLog } from "../helpers/logger.js";
import { until } from "../helpers/wait.js";

describe("reconnect warnings (XEP-0114 connection)", () => {
  it("a refused connection gives one warning per attempt, numbered, with the error and the wait", async () => {
    const { log, lines } = captureLog("info");
    const port = await freePort(); // nothing listens there
    const connection = createComponentConnection({ service: `xmpp://127.0.0.1:${port}`, domain: "invites.example.test", secret: "s", log, backoff: { initialMs: 20, maxMs: 40 } });
    void connection.start().catch(() => undefined);
    try {
      await until(() => lines().filter((line) => line["level"] === 40).length >= 4, 10_000, "four failed attempts");
    } finally {
      await connection.stop();
    }
    const warnings = lines().filter((line) => Number(line["level"]) >= 40);
    const attempts = warnings.map((line) => line["attempt"]);
    expect(attempts.slice(0, 4)).toEqual([1, 2, 3, 4]);
    for (const line of warnings) {
      expect(line).toMatchObject({ msg: "cannot reach the XMPP server; retrying", err: expect.stringContaining("ECONNREFUSED") as unknown, retryInMs: expect.any(Number) as unknown });
    }
    // Nothing else above debug while it retries.
    expect(lines().filter((line) => Number(line["level"]) >= 30 && line["msg"] !== "cannot reach the XMPP server; retrying")).toEqual([]);
  });
});
