// Which language a page is served in: the picker's choice, its cookie, Accept-Language with
// q-values and fallbacks, then the configured default.
import { describe, expect, it } from "vitest";
import { chooseLanguage, cookieValue, matchLanguage, parseAcceptLanguage } from "../../../src/http/i18n/negotiate.js";

describe("matchLanguage", () => {
  it("matches exactly, case-insensitively, and falls back to the base language (pt-BR → pt, de-CH → de)", () => {
    expect(matchLanguage("de")).toBe("de");
    expect(matchLanguage("DE")).toBe("de");
    expect(matchLanguage("pt-BR")).toBe("pt");
    expect(matchLanguage("de-CH")).toBe("de");
    expect(matchLanguage("en_GB")).toBe("en");
    expect(matchLanguage("ar-EG")).toBe("ar");
  });

  it("Chinese goes by script: zh, zh-CN and zh-Hans-* are simplified; zh-TW and zh-Hant are not served as such", () => {
    expect(matchLanguage("zh")).toBe("zh-Hans");
    expect(matchLanguage("zh-CN")).toBe("zh-Hans");
    expect(matchLanguage("zh-Hans-SG")).toBe("zh-Hans");
    expect(matchLanguage("zh-TW")).toBeUndefined();
    expect(matchLanguage("zh-Hant-HK")).toBeUndefined();
  });

  it("refuses unknown languages and anything that is not a language tag", () => {
    expect(matchLanguage("xx")).toBeUndefined();
    expect(matchLanguage("")).toBeUndefined();
    expect(matchLanguage("../../etc/passwd")).toBeUndefined();
    expect(matchLanguage("de;q=1")).toBeUndefined();
  });
});

describe("parseAcceptLanguage (RFC 9110 §12.5.4)", () => {
  it("orders ranges by q-value, keeps the header's order for ties, drops q=0 and *", () => {
    expect(parseAcceptLanguage("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5")).toEqual(["fr-CH", "fr", "en", "de"]);
    expect(parseAcceptLanguage("en;q=0.1, nl, ja;q=0")).toEqual(["nl", "en"]);
    expect(parseAcceptLanguage("")).toEqual([]);
  });
});

describe("chooseLanguage", () => {
  const fallback = "en" as const;
  it("the picker's query parameter first, then its cookie", () => {
    expect(chooseLanguage({ query: "uk", cookie: "de", acceptLanguage: "fr", fallback })).toEqual({ language: "uk", source: "query" });
    expect(chooseLanguage({ query: "", cookie: "de", acceptLanguage: "fr", fallback })).toEqual({ language: "de", source: "cookie" });
    expect(chooseLanguage({ query: "xx", cookie: "nope", acceptLanguage: "fr", fallback })).toEqual({ language: "fr", source: "header" });
  });

  it("Accept-Language: the best supported range wins, with fallbacks; else the configured default", () => {
    expect(chooseLanguage({ acceptLanguage: "sw, pt-BR;q=0.9, en;q=0.8", fallback })).toEqual({ language: "pt", source: "header" });
    expect(chooseLanguage({ acceptLanguage: "zh-TW, ja;q=0.5", fallback })).toEqual({ language: "ja", source: "header" });
    expect(chooseLanguage({ acceptLanguage: "sw, ko", fallback: "de" })).toEqual({ language: "de", source: "default" });
    expect(chooseLanguage({ fallback: "ar" })).toEqual({ language: "ar", source: "default" });
  });

  it("reads the cookie from a Cookie header", () => {
    expect(cookieValue("a=1; lang=pl; b=2", "lang")).toBe("pl");
    expect(cookieValue("xlang=pl", "lang")).toBeUndefined();
    expect(cookieValue("lang=%E0%A4%A", "lang")).toBeUndefined();
    expect(cookieValue(undefined, "lang")).toBeUndefined();
  });
});
