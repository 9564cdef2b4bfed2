// The web door's catalogues: one file per language, each with exactly the English keys, every
// message valid ICU MessageFormat with the same placeholders and markup tags as the English one.
import { readdirSync } from "node:fs";
import { IntlMessageFormat } from "intl-messageformat";
import { describe, expect, it } from "vitest";
import { ERRORS } from "../../src/errors.js";
import { WEB_ERROR_CODES } from "../../src/http/i18n/errors.js";
import { loadCatalogue } from "../../src/http/i18n/index.js";
import { LANGUAGES, type Language } from "../../src/http/i18n/negotiate.js";

const LOCALES = new URL("../../src/http/i18n/locales/", import.meta.url);
const english = loadCatalogue("en");

interface Shape {
  readonly arguments: string[];
  readonly tags: string[];
  readonly plurals: string[];
}

/** The placeholders, tags and plural arguments of a message, from its parsed form. */
function shapeOf(message: string, language: Language): Shape {
  const args = new Set<string>();
  const tags = new Set<string>();
  const plurals = new Set<string>();
  const walk = (elements: ReturnType<IntlMessageFormat["getAst"]>): void => {
    for (const element of elements) {
      // Types from @formatjs/icu-messageformat-parser: 1 argument, 2 number, 3 date, 4 time, 5 select, 6 plural, 8 tag.
      if (element.type >= 1 && element.type <= 6 && "value" in element) args.add(element.value);
      if (element.type === 6) {
        plurals.add(element.value);
        expect(Object.keys(element.options), `plural {${element.value}} in ${language} needs an "other" form`).toContain("other");
      }
      if ((element.type === 5 || element.type === 6) && "options" in element) for (const option of Object.values(element.options)) walk(option.value);
      if (element.type === 8) {
        tags.add(element.value);
        walk(element.children);
      }
    }
  };
  walk(new IntlMessageFormat(message, language).getAst());
  return { arguments: [...args].sort(), tags: [...tags].sort(), plurals: [...plurals].sort() };
}

describe("web catalogues", () => {
  it("there is one catalogue file per supported language, and no other", () => {
    const files = readdirSync(LOCALES).filter((name) => name.endsWith(".json")).map((name) => name.slice(0, -5)).sort();
    expect(files).toEqual([...LANGUAGES].sort());
    expect(LANGUAGES.length).toBeGreaterThanOrEqual(12);
  });

  for (const language of LANGUAGES) {
    it(`${language}: the same keys as English, each a valid message with the same placeholders and tags`, () => {
      const catalogue = loadCatalogue(language);
      const missing = Object.keys(english).filter((key) => !(key in catalogue));
      const extra = Object.keys(catalogue).filter((key) => !(key in english));
      expect({ missing, extra }).toEqual({ missing: [], extra: [] });
      for (const [key, source] of Object.entries(english)) {
        const text = catalogue[key] ?? "";
        expect(text.trim(), `${language} ${key} is empty`).not.toBe("");
        let shape: Shape;
        try {
          shape = shapeOf(text, language);
        } catch (err) {
          throw new Error(`${language} ${key} is not valid ICU MessageFormat: ${(err as Error).message}`);
        }
        expect(shape, `${language} ${key}`).toEqual(shapeOf(source, "en"));
        // Markup only through tags: a raw < > or & would be shown escaped, or break the message.
        expect(/[<>]/.test(text.replace(/<\/?[a-z]+>/g, "")), `${language} ${key} has a stray < or >`).toBe(false);
      }
    });
  }

  it("the catalogues are translated, not copies of English", () => {
    for (const language of LANGUAGES.filter((l) => l !== "en")) {
      const catalogue = loadCatalogue(language);
      const same = Object.keys(english).filter((key) => catalogue[key] === english[key] && (english[key] ?? "").length > 12);
      expect(same, `${language}: texts left in English`).toEqual([]);
    }
  });

  it("every error a web page can show has its text, by the registry's code", () => {
    const errorKeys = Object.keys(english).filter((key) => key.startsWith("error.")).map((key) => key.slice("error.".length)).sort();
    expect(errorKeys).toEqual([...WEB_ERROR_CODES].sort());
    for (const code of WEB_ERROR_CODES) expect(Object.keys(ERRORS)).toContain(code);
  });

  it("a broken catalogue is caught: a missing placeholder, an extra key, invalid syntax", () => {
    expect(shapeOf("Join {site}", "en")).not.toEqual(shapeOf("Join", "en"));
    expect(shapeOf("<jid>{address}</jid>", "en")).not.toEqual(shapeOf("{address}", "en"));
    expect(() => shapeOf("Join {site", "en")).toThrow();
  });
});
