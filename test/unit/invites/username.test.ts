import { describe, expect, it } from "vitest";
import { normalizeUsername } from "../../../src/invites/domain/username.js";

describe("usernames (nodeprep / PRECIS rules)", () => {
  it.each([
    ["alice", "alice"],
    ["Alice", "alice"],
    ["ÄLICE", "älice"],
    ["ｆｕｌｌｗｉｄｔｈ", "fullwidth"],
    ["juliet.capulet-99_x", "juliet.capulet-99_x"],
    ["名前", "名前"],
  ])("accepts %s as %s", (input, expected) => {
    expect(normalizeUsername(input)).toEqual({ ok: true, username: expected });
  });

  it.each([
    ["empty", ""],
    ["a space", "al ice"],
    ["a no-break space", "al\u00a0ice"],
    ["@", "al@ice"],
    ["/", "al/ice"],
    [":", "al:ice"],
    ["quote", "al'ice"],
    ["double quote", 'al"ice'],
    ["ampersand", "al&ice"],
    ["angle brackets", "<alice>"],
    ["a control character", "al\u0007ice"],
    ["a zero-width joiner", "al\u200dice"],
    ["a right-to-left mark", "al\u200fice"],
    ["private use", "al\ue000ice"],
    ["an unassigned code point", "al\u0378ice"],
    ["more than 1023 bytes", "a".repeat(1024)],
  ])("refuses %s", (_what, input) => {
    expect(normalizeUsername(input)).toEqual({ ok: false });
  });
});
