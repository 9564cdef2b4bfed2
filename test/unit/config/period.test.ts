import { describe, expect, it } from "vitest";
import { formatPeriod, parsePeriod } from "../../../src/invites/domain/period.js";

describe("periods", () => {
  it.each([
    [604800, 604800],
    ["3600", 3600],
    ["7d", 604800],
    ["12h", 43200],
    ["30m", 1800],
    ["45s", 45],
    ["1 week", 604800],
    ["2 days", 172800],
    ["2W", 1209600],
  ])("reads %s as %i seconds", (input, seconds) => {
    expect(parsePeriod(input)).toBe(seconds);
  });

  it.each([["0"], ["-5"], ["7 fortnights"], ["d"], [""], [1.5], [0]])("refuses %s", (input) => {
    expect(parsePeriod(input)).toBeUndefined();
  });

  it("formats in the largest whole unit", () => {
    expect(formatPeriod(604800)).toBe("1w");
    expect(formatPeriod(86400 * 3)).toBe("3d");
    expect(formatPeriod(90)).toBe("90s");
  });
});
