// Which language a page is served in: an explicit choice (the picker's `lang` query parameter,
// then its cookie), else the browser's Accept-Language in q-value order, else the configured
// default. A tag falls back to its base language (pt-BR → pt); Chinese goes by script.

/** BCP 47 tags with a catalogue, as written in their file names. */
export const LANGUAGES = ["en", "ar", "de", "es", "fr", "it", "ja", "nl", "pl", "pt", "ru", "tr", "uk", "zh-Hans"] as const;
export type Language = (typeof LANGUAGES)[number];

const BY_LOWER = new Map<string, Language>(LANGUAGES.map((tag) => [tag.toLowerCase(), tag]));

// Regions that write Chinese in simplified characters; zh-TW, zh-HK and zh-Hant do not.
const SIMPLIFIED_CHINESE = new Set(["zh", "zh-cn", "zh-sg", "zh-my", "zh-hans"]);
const TRADITIONAL_CHINESE = /^zh-(hant|tw|hk|mo)(-|$)/;

/** The supported language a tag asks for, if any: exact, then shorter prefixes. */
export function matchLanguage(tag: string): Language | undefined {
  const lower = tag.trim().toLowerCase().replace(/_/g, "-");
  if (!/^[a-z]{2,3}(-[a-z0-9]{1,8})*$/.test(lower)) return undefined;
  if (TRADITIONAL_CHINESE.test(lower)) return undefined;
  if (SIMPLIFIED_CHINESE.has(lower) || lower.startsWith("zh-hans-")) return "zh-Hans";
  const parts = lower.split("-");
  while (parts.length > 0) {
    const found = BY_LOWER.get(parts.join("-"));
    if (found) return found;
    parts.pop();
  }
  return undefined;
}

/** Accept-Language ranges, best first (RFC 9110 §12.5.4); q=0 and "*" are left out. */
export function parseAcceptLanguage(header: string): string[] {
  return header
    .split(",")
    .map((item, index) => {
      const [range = "", ...params] = item.trim().split(";");
      const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p)?.[1]).find((v) => v !== undefined);
      return { range: range.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((item) => item.range !== "" && item.range !== "*" && Number.isFinite(item.q) && item.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((item) => item.range);
}

export interface LanguageChoice {
  readonly language: Language;
  /** Where it came from: "query" means the visitor just picked it (and the cookie is set). */
  readonly source: "query" | "cookie" | "header" | "default";
}

export function chooseLanguage(input: { query?: string | undefined; cookie?: string | undefined; acceptLanguage?: string | undefined; fallback: Language }): LanguageChoice {
  const picked = input.query ? matchLanguage(input.query) : undefined;
  if (picked) return { language: picked, source: "query" };
  const remembered = input.cookie ? matchLanguage(input.cookie) : undefined;
  if (remembered) return { language: remembered, source: "cookie" };
  for (const range of parseAcceptLanguage(input.acceptLanguage ?? "")) {
    const found = matchLanguage(range);
    if (found) return { language: found, source: "header" };
  }
  return { language: input.fallback, source: "default" };
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const pair of (header ?? "").split(";")) {
    const eq = pair.indexOf("=");
    if (eq > 0 && pair.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(pair.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
