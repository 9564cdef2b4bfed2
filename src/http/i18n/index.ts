// The web door's texts: one ICU MessageFormat catalogue per language (locales/*.json, English the
// source), compiled once per message by intl-messageformat. Pages ask for texts by key; rich texts
// mark their markup with tags (<jid>…</jid>) that only this module turns into HTML, so a
// translation can never inject markup and a value is always escaped.
import { readFileSync } from "node:fs";
import { IntlMessageFormat } from "intl-messageformat";
import { type SafeHtml, html } from "../html.js";
import { LANGUAGES, type Language } from "./negotiate.js";

export type Catalogue = typeof import("./locales/en.json");
export type MessageKey = keyof Catalogue;

type Value = string | number;
type RichValue = Value | SafeHtml | ((chunks: RichChunk[]) => SafeHtml);
export type RichChunk = string | SafeHtml;

/** The name of each language in itself, for the picker, and its writing direction. */
export const LANGUAGE_INFO: Record<Language, { readonly name: string; readonly dir: "ltr" | "rtl" }> = {
  en: { name: "English", dir: "ltr" },
  ar: { name: "العربية", dir: "rtl" },
  de: { name: "Deutsch", dir: "ltr" },
  es: { name: "Español", dir: "ltr" },
  fr: { name: "Français", dir: "ltr" },
  it: { name: "Italiano", dir: "ltr" },
  ja: { name: "日本語", dir: "ltr" },
  nl: { name: "Nederlands", dir: "ltr" },
  pl: { name: "Polski", dir: "ltr" },
  pt: { name: "Português", dir: "ltr" },
  ru: { name: "Русский", dir: "ltr" },
  tr: { name: "Türkçe", dir: "ltr" },
  uk: { name: "Українська", dir: "ltr" },
  "zh-Hans": { name: "简体中文", dir: "ltr" },
};

/** Tags every rich message may use (so no value may take these names). */
const TAGS: Record<string, (chunks: RichChunk[]) => SafeHtml> = {
  jid: (chunks) => html`<span class="jid">${chunks}</span>`,
  strong: (chunks) => html`<strong>${chunks}</strong>`,
};

export function loadCatalogue(language: Language): Record<string, string> {
  const text = readFileSync(new URL(`./locales/${language}.json`, import.meta.url), "utf8");
  return JSON.parse(text) as Record<string, string>;
}

export interface Translator {
  readonly language: Language;
  readonly dir: "ltr" | "rtl";
  /** A plain text (for attributes, titles, headers). */
  text(key: MessageKey, values?: Record<string, Value>): string;
  /** A text with markup: values are escaped, tags become the markup this module defines. */
  rich(key: MessageKey, values?: Record<string, RichValue>): SafeHtml;
  /** A point in time, written for this language (UTC, as the server cannot know the visitor's zone). */
  date(ms: number): string;
}

export class Texts {
  readonly #catalogues = new Map<Language, Record<string, string>>();
  readonly #compiled = new Map<string, IntlMessageFormat>();
  readonly #translators = new Map<Language, Translator>();

  constructor() {
    for (const language of LANGUAGES) this.#catalogues.set(language, loadCatalogue(language));
  }

  for(language: Language): Translator {
    let translator = this.#translators.get(language);
    if (!translator) {
      translator = this.#translator(language);
      this.#translators.set(language, translator);
    }
    return translator;
  }

  #format(language: Language, key: MessageKey): IntlMessageFormat {
    const id = `${language}\u0000${key}`;
    let compiled = this.#compiled.get(id);
    if (!compiled) {
      // A key missing from a catalogue falls back to English (the catalogue test keeps them complete).
      const source = this.#catalogues.get(language)?.[key] ?? this.#catalogues.get("en")?.[key] ?? key;
      compiled = new IntlMessageFormat(source, language);
      this.#compiled.set(id, compiled);
    }
    return compiled;
  }

  #translator(language: Language): Translator {
    // The zone's name is the language's own, placed where the language puts it.
    const dates = new Intl.DateTimeFormat(language, { year: "numeric", month: "long", day: "numeric", hour: "numeric", minute: "2-digit", timeZone: "UTC", timeZoneName: "short" });
    return {
      language,
      dir: LANGUAGE_INFO[language].dir,
      text: (key, values) => String(this.#format(language, key).format(values)),
      rich: (key, values) => {
        const out = this.#format(language, key).format<RichChunk>({ ...TAGS, ...values });
        return html`${Array.isArray(out) ? out : [out]}`;
      },
      date: (ms) => dates.format(new Date(ms)),
    };
  }
}
