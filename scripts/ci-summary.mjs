#!/usr/bin/env node
// The closing line of a CI run, "N passed, N failed", counted so that it cannot be green while
// tests were skipped, broken or missing:
//  - skipped, pending, todo and disabled tests count as failed, unless test/allowed-skips.json
//    names them with a reason (then they are reported as skipped);
//  - in a file whose setup failed (file status "failed"), every test that did not pass counts as
//    failed, allowed or not; a file that failed without any failing test adds one failure;
//  - a runner that exited non-zero, or reported success: false, with no failure counted adds one
//    (unhandled errors, a failed global teardown);
//  - a run without a report counts the floor as failed, and a run with fewer tests than the
//    floor in test/floor.txt counts the missing ones as failed.
//
//   node scripts/ci-summary.mjs LABEL[@FLOOR]=REPORT:STATUS ...   (REPORT "-" when the run never started)
// A run of only some files (the server-facing ones on the older servers) names its own floor.
import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const NOT_RUN = new Set(["skipped", "pending", "todo", "disabled"]);

/** Reads test/allowed-skips.json: [{ file, test, reason }], each with a non-empty reason. */
export function parseAllowedSkips(text) {
  const value = JSON.parse(text);
  const list = Array.isArray(value) ? value : value.allowed;
  if (!Array.isArray(list)) throw new Error("allowed-skips: expected a list under \"allowed\"");
  return list.map((entry, i) => {
    if (typeof entry?.file !== "string" || typeof entry?.test !== "string" || typeof entry?.reason !== "string" || entry.reason.trim() === "") {
      throw new Error(`allowed-skips: entry ${i} needs "file", "test" and a non-empty "reason"`);
    }
    return { file: entry.file, test: entry.test };
  });
}

/** The first lines of a test's failure messages, ANSI colours removed, on one line. */
function firstLines(messages, lines = 4) {
  const text = (Array.isArray(messages) ? messages : []).join("\n").replace(/\u001b\[[0-9;]*m/g, "");
  const kept = text.split("\n").map((line) => line.trim()).filter((line) => line !== "").slice(0, lines);
  return kept.length > 0 ? kept.join(" | ").slice(0, 600) : "(no message)";
}

export function parseFloor(text) {
  const floor = Number(text.trim());
  if (!Number.isInteger(floor) || floor < 1) throw new Error(`floor: "${text.trim()}" is not a positive whole number`);
  return floor;
}

/**
 * Counts one run. `report` is vitest's JSON report (undefined when there is none), `status` the
 * runner's exit status, `root` the folder test file paths are relative to.
 */
export function summarizeRun(report, status, { allowed = [], floor = 1, root = process.cwd() } = {}) {
  const problems = [];
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  if (report === undefined || !Array.isArray(report.testResults)) {
    problems.push(`no test report: counting the floor (${floor}) as failed`);
    return { passed, failed: floor, skipped, problems };
  }
  const isAllowed = (file, test) => allowed.some((entry) => entry.file === file && entry.test === test);
  for (const result of report.testResults) {
    const file = relative(root, resolve(root, String(result.name))).split("\\").join("/");
    const setupFailed = result.status === "failed";
    let failedHere = 0;
    for (const test of result.assertionResults ?? []) {
      if (test.status === "passed") passed += 1;
      else if (test.status === "failed") {
        failed += 1;
        failedHere += 1;
        // Named with its message, so the tail of a red run's log says what broke.
        problems.push(`${file}: "${test.fullName}" failed: ${firstLines(test.failureMessages)}`);
      } else if (NOT_RUN.has(test.status) && !setupFailed && isAllowed(file, test.fullName)) skipped += 1;
      else {
        failed += 1;
        failedHere += 1;
        problems.push(`${file}: "${test.fullName}" ${test.status}${setupFailed ? " (the file's setup failed)" : NOT_RUN.has(test.status) ? " (not in test/allowed-skips.json)" : ""}`);
      }
    }
    if (setupFailed && failedHere === 0) {
      failed += 1;
      const message = String(result.message ?? "").split("\n")[0];
      problems.push(`${file}: failed outside its tests${message ? `: ${message}` : ""}`);
    }
  }
  if (failed === 0 && (status !== 0 || report.success === false)) {
    failed += 1;
    problems.push(`the runner exited with status ${status}${report.success === false ? " and reported failure" : ""} although no test failed: an unhandled error or a failed teardown`);
  }
  const total = passed + failed + skipped;
  if (total < floor) {
    failed += floor - total;
    problems.push(`${total} tests ran, fewer than the floor of ${floor} in test/floor.txt: the missing ${floor - total} count as failed`);
  }
  return { passed, failed, skipped, problems };
}

export function closingLine({ passed, failed, skipped }) {
  return `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`;
}

function main(args) {
  const root = process.cwd();
  const allowed = parseAllowedSkips(readFileSync(resolve(root, "test/allowed-skips.json"), "utf8"));
  const floor = parseFloor(readFileSync(resolve(root, "test/floor.txt"), "utf8"));
  const total = { passed: 0, failed: 0, skipped: 0 };
  if (args.length === 0) {
    console.log(`ci: no test run: counting the floor (${floor}) as failed`);
    total.failed = floor;
  }
  for (const arg of args) {
    const match = /^([^=@]+)(?:@(\d+))?=(.*):(-?\d+)$/.exec(arg);
    if (!match) throw new Error(`ci-summary: "${arg}" is not LABEL[@FLOOR]=REPORT:STATUS`);
    const [, label, ownFloor, path, status] = match;
    let report;
    if (path !== "-") {
      try {
        report = JSON.parse(readFileSync(path, "utf8"));
      } catch {
        report = undefined;
      }
    }
    const run = summarizeRun(report, Number(status), { allowed, floor: ownFloor === undefined ? floor : parseFloor(ownFloor), root });
    for (const problem of run.problems) console.log(`ci: ${label}: ${problem}`);
    console.log(`ci: ${label}: passed ${run.passed}, failed ${run.failed}, allowed skips ${run.skipped}`);
    total.passed += run.passed;
    total.failed += run.failed;
    total.skipped += run.skipped;
  }
  console.log(closingLine(total));
  return total.failed === 0 ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    // Even a broken summary ends with the line.
    console.log(`ci: ${err instanceof Error ? err.message : String(err)}`);
    console.log("0 passed, 1 failed");
    process.exitCode = 1;
  }
}
