// XML 1.0 §2.2 Char: the checker every door uses, and the scrubbing the send guard relies on.
import { describe, expect, it } from "vitest";
import { AppError } from "../../../src/errors.js";
import { checkXmlText, findNonXmlText, isXmlText, scrubElement, toXmlText } from "../../../src/protocol/xml-text.js";
import { xml } from "../../../src/protocol/xml.js";

describe("XML 1.0 §2.2 Char", () => {
  it("allows tab, newline, carriage return, U+0020–U+D7FF, U+E000–U+FFFD and U+10000–U+10FFFF (paired surrogates)", () => {
    for (const text of ["", "plain", "tab\tnew\nline\r", "\u007F DEL is a Char", "é ü ß 中文 العربية", "\uD7FF\uE000\uFFFD", "emoji 😀 \u{10FFFF}"]) {
      expect(isXmlText(text), JSON.stringify(text)).toBe(true);
    }
  });

  it("refuses other control characters, U+FFFE, U+FFFF and lone surrogates", () => {
    for (const text of ["\u0000", "a\u0001b", "\u0008", "\u000B", "\u000C", "\u001F", "\uFFFE", "\uFFFF", "lone \uD800 high", "lone \uDC00 low", "\uDBFF"]) {
      expect(isXmlText(text), JSON.stringify(text)).toBe(false);
    }
  });

  it("finds the first unfit string in a body by its path, keys included", () => {
    expect(findNonXmlText({ note: "fine", groups: ["a", "b"] })).toBeUndefined();
    expect(findNonXmlText({ note: "fine", groups: ["a", "b\u0001"] })).toBe("groups.1");
    expect(findNonXmlText({ nested: { deeper: "x\uFFFF" } })).toBe("nested.deeper");
    expect(findNonXmlText({ ["bad\u0001key"]: "x" })).toBe("body");
    expect(findNonXmlText({ user: "a\u0002" }, "query")).toBe("query.user");
    expect(findNonXmlText({ count: 3, flag: true, none: null })).toBeUndefined();
  });

  it("checkXmlText refuses with invalid-characters (modify/not-acceptable, HTTP 400) naming the field, never echoing the text", () => {
    expect(() => checkXmlText({ username: "romeo", password: undefined })).not.toThrow();
    let error: unknown;
    try {
      checkXmlText({ username: "romeo", password: "secret\uFFFFsecret" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: "invalid-characters", detail: "password", spec: { type: "modify", condition: "not-acceptable", http: 400 } });
    expect((error as AppError).message).toMatch(/^password: contains characters that are not allowed/);
    expect((error as AppError).message).not.toContain("secret");
  });

  it("toXmlText replaces each unfit character with U+FFFD and counts them", () => {
    expect(toXmlText("ok")).toEqual({ text: "ok", replaced: 0 });
    expect(toXmlText("a\u0001b\uFFFFc\uD800d😀")).toEqual({ text: "a\uFFFDb\uFFFDc\uFFFDd😀", replaced: 3 });
  });

  it("scrubElement cleans text and attribute values of a whole tree in place", () => {
    const element = xml("command", { node: "n\u0001" }, xml("x", {}, xml("value", {}, "v\uFFFF"), "t\u0002"));
    expect(scrubElement(element)).toBe(3);
    expect(element.toString()).toBe("<command node=\"n\uFFFD\"><x><value>v\uFFFD</value>t\uFFFD</x></command>");
  });
});
