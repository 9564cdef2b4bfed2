import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AppError, ERRORS, type ErrorCode } from "../../src/errors.js";

describe("error registry", () => {
  const readme = readFileSync("docs/protocols.md", "utf8");
  const codes = Object.keys(ERRORS) as ErrorCode[];

  it.each(codes)("%s is documented in docs/protocols.md with its stanza error", (code) => {
    const spec = ERRORS[code];
    const row = readme.split("\n").find((line) => line.startsWith(`| \`${code}\` |`));
    expect(row).toBeDefined();
    expect(row).toContain(`${spec.type} / ${spec.condition}`);
  });

  it("gives every error an HTTP status for the web door", () => {
    for (const code of codes) expect(ERRORS[code].http).toBeGreaterThanOrEqual(400);
    expect(new AppError("username-taken").spec.http).toBe(409);
  });
});
