// The CI closing line, fed crafted vitest JSON reports: what must count as failed does.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { closingLine, parseAllowedSkips, parseFloor, summarizeRun } from "../../scripts/ci-summary.mjs";

const ROOT = "/repo";
type Test = { fullName: string; status: string; failureMessages?: string[] };
const file = (name: string, tests: Test[], status = "passed", message = "") =>
  ({ name: `${ROOT}/${name}`, status, message, assertionResults: tests });
const report = (files: ReturnType<typeof file>[], success = true) => ({ success, testResults: files });
const passing = (n: number, prefix = "t") => Array.from({ length: n }, (_, i) => ({ fullName: `${prefix} ${i}`, status: "passed" }));
const count = (r: unknown, status = 0, allowed: { file: string; test: string }[] = [], floor = 1) =>
  summarizeRun(r, status, { allowed, floor, root: ROOT });

describe("ci-summary", () => {
  it("an all-green report gives N passed, 0 failed", () => {
    const run = count(report([file("test/a.test.ts", passing(3)), file("test/b.test.ts", passing(2))]));
    expect(run).toMatchObject({ passed: 5, failed: 0, skipped: 0, problems: [] });
    expect(closingLine(run)).toBe("5 passed, 0 failed");
  });

  it("a failed test counts as failed, and is named with the first lines of its message", () => {
    const broken = { fullName: "broken", status: "failed", failureMessages: ["\u001b[31mAssertionError: expected 1 to be 2\u001b[39m\n\n    at test/a.test.ts:3:5\n    at x\n    at y\n    at z"] };
    const run = count(report([file("test/a.test.ts", [...passing(2), broken], "failed")], false), 1);
    expect(run).toMatchObject({ passed: 2, failed: 1 });
    expect(run.problems).toEqual(['test/a.test.ts: "broken" failed: AssertionError: expected 1 to be 2 | at test/a.test.ts:3:5 | at x | at y']);
  });

  it("skipped, todo, pending and disabled tests count as failed when not allowed", () => {
    const tests = ["skipped", "todo", "pending", "disabled"].map((status) => ({ fullName: status, status }));
    const run = count(report([file("test/a.test.ts", [...passing(1), ...tests])]));
    expect(run).toMatchObject({ passed: 1, failed: 4, skipped: 0 });
    expect(run.problems.join("\n")).toContain('"todo" todo (not in test/allowed-skips.json)');
  });

  it("an allowed skip is reported as skipped, only for that file and test", () => {
    const allowed = [{ file: "test/a.test.ts", test: "needs a GPU" }];
    const run = count(report([
      file("test/a.test.ts", [...passing(1), { fullName: "needs a GPU", status: "skipped" }]),
      file("test/b.test.ts", [{ fullName: "needs a GPU", status: "skipped" }]),
    ]), 0, allowed);
    expect(run).toMatchObject({ passed: 1, failed: 1, skipped: 1 });
    expect(closingLine(run)).toBe("1 passed, 1 failed, 1 skipped");
  });

  it("a file whose beforeAll failed counts every one of its tests as failed, allowed or not", () => {
    const tests = [{ fullName: "one", status: "skipped" }, { fullName: "two", status: "skipped" }, { fullName: "three", status: "skipped" }];
    const run = count(report([file("test/a.test.ts", tests, "failed")], false), 1, [{ file: "test/a.test.ts", test: "one" }]);
    expect(run).toMatchObject({ passed: 0, failed: 3, skipped: 0 });
    expect(run.problems[0]).toContain("the file's setup failed");
  });

  it("a file that failed to load (no tests collected) counts one failure with its message", () => {
    const run = count(report([file("test/a.test.ts", passing(2)), file("test/c.test.ts", [], "failed", "Cannot find module './x.js'")], false), 1);
    expect(run).toMatchObject({ passed: 2, failed: 1 });
    expect(run.problems).toEqual(["test/c.test.ts: failed outside its tests: Cannot find module './x.js'"]);
  });

  it("a non-zero exit or success: false with no failed test counts one failure (unhandled error, teardown)", () => {
    expect(count(report([file("test/a.test.ts", passing(2))]), 1)).toMatchObject({ passed: 2, failed: 1 });
    expect(count(report([file("test/a.test.ts", passing(2))], false), 0)).toMatchObject({ passed: 2, failed: 1 });
    // Already failing: the exit status adds nothing more.
    expect(count(report([file("test/a.test.ts", [{ fullName: "x", status: "failed" }], "failed")], false), 1)).toMatchObject({ failed: 1 });
  });

  it("fewer tests than the floor count the missing ones as failed", () => {
    const run = count(report([file("test/a.test.ts", passing(5))]), 0, [], 8);
    expect(run).toMatchObject({ passed: 5, failed: 3 });
    expect(run.problems[0]).toContain("fewer than the floor of 8");
    expect(count(report([file("test/a.test.ts", passing(8))]), 0, [], 8).failed).toBe(0);
  });

  it("no report at all counts the floor as failed", () => {
    expect(count(undefined, 1, [], 325)).toMatchObject({ passed: 0, failed: 325 });
    expect(count({ unexpected: true }, 0, [], 10)).toMatchObject({ passed: 0, failed: 10 });
  });

  it("the allow-list needs a reason for every entry, and the floor must be a positive whole number", () => {
    expect(parseAllowedSkips('{"allowed":[{"file":"test/a.test.ts","test":"x","reason":"upstream bug"}]}')).toEqual([{ file: "test/a.test.ts", test: "x" }]);
    expect(() => parseAllowedSkips('{"allowed":[{"file":"test/a.test.ts","test":"x","reason":" "}]}')).toThrow(/non-empty "reason"/);
    expect(parseFloor("325\n")).toBe(325);
    expect(() => parseFloor("many")).toThrow(/not a positive whole number/);
  });

  it("the repository's allow-list and floor parse", () => {
    expect(Array.isArray(parseAllowedSkips(readFileSync("test/allowed-skips.json", "utf8")))).toBe(true);
    expect(parseFloor(readFileSync("test/floor.txt", "utf8"))).toBeGreaterThanOrEqual(325);
  });

  describe("as a command", () => {
    const dir = mkdtempSync(join(tmpdir(), "xmpp-invites-ci-summary-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const run = (...args: string[]) => spawnSync(process.execPath, [resolve("scripts/ci-summary.mjs"), ...args], { encoding: "utf8" });

    it("adds runs up and ends with the plain closing line; exit 1 when anything failed", () => {
      const floor = parseFloor(readFileSync("test/floor.txt", "utf8"));
      const good = join(dir, "good.json");
      writeFileSync(good, JSON.stringify(report([file(resolve("test/a.test.ts"), passing(floor))])));
      const ok = run(`node22=${good}:0`, `node24=${good}:0`);
      expect(ok.status).toBe(0);
      expect(ok.stdout.trimEnd().split("\n").at(-1)).toBe(`${2 * floor} passed, 0 failed`);

      const bad = run(`node22=${good}:0`, "node24=-:1");
      expect(bad.status).toBe(1);
      expect(bad.stdout).toContain("ci: node24: no test report");
      expect(bad.stdout.trimEnd().split("\n").at(-1)).toBe(`${floor} passed, ${floor} failed`);
    });

    it("a run of some files names its own floor: fewer tests than it count as failed", () => {
      const some = join(dir, "some.json");
      writeFileSync(some, JSON.stringify(report([file(resolve("test/a.test.ts"), passing(3))])));
      const ok = run(`node24-old@3=${some}:0`);
      expect(ok.status).toBe(0);
      expect(ok.stdout.trimEnd().split("\n").at(-1)).toBe("3 passed, 0 failed");
      const short = run(`node24-old@5=${some}:0`);
      expect(short.status).toBe(1);
      expect(short.stdout).toContain("fewer than the floor of 5");
      expect(short.stdout.trimEnd().split("\n").at(-1)).toBe("3 passed, 2 failed");
    });

    it("with no run at all (e.g. a failed install) still prints the line", () => {
      const none = run();
      expect(none.status).toBe(1);
      expect(none.stdout.trimEnd().split("\n").at(-1)).toMatch(/^0 passed, [1-9]\d* failed$/);
    });
  });
});
