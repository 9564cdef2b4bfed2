// Log lines: JSON off a terminal, one readable line on it, and the switch that overrides both.
import { describe, expect, it } from "vitest";
import { chooseLogFormat, prettyDestination, prettyLine } from "../../src/log-format.js";
import { createLogger } from "../../src/log.js";

describe("log format", () => {
  it("is pretty on a terminal and JSON otherwise, unless --log-format or $XMPP_INVITES_LOG_FORMAT says", () => {
    expect(chooseLogFormat(undefined, {}, true)).toBe("pretty");
    expect(chooseLogFormat(undefined, {}, false)).toBe("json");
    expect(chooseLogFormat(undefined, { XMPP_INVITES_LOG_FORMAT: "pretty" }, false)).toBe("pretty");
    expect(chooseLogFormat("json", { XMPP_INVITES_LOG_FORMAT: "pretty" }, true)).toBe("json");
    expect(() => chooseLogFormat("xml", {}, true)).toThrow('log format "xml" is not one of json, pretty');
  });

  it("a readable line has time, level, message and fields, with secrets still redacted", () => {
    const lines: string[] = [];
    const log = createLogger("info", prettyDestination({ write: (chunk: string) => lines.push(chunk) }));
    log.warn({ attempt: 2, err: "connect ECONNREFUSED 127.0.0.1:5347", password: "hunter2-hunter2" }, "cannot reach the XMPP server; retrying");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN  cannot reach the XMPP server; retrying {2}attempt=2 err="connect ECONNREFUSED 127\.0\.0\.1:5347" password=\[redacted\]\n$/);
    expect(lines[0]).not.toContain("hunter2");
  });

  it("an error's stack follows its line, indented; a line that is not JSON passes through", () => {
    const line = prettyLine(JSON.stringify({ level: 50, time: 0, msg: "failed", err: { type: "Error", message: "boom", stack: "Error: boom\n    at here (x.js:1:1)" } }));
    expect(line).toMatch(/ ERROR failed {2}err=boom\n {4}at here \(x\.js:1:1\)\n$/);
    expect(prettyLine("not json")).toBe("not json\n");
  });
});
