import { type SafeHtml, html } from "../html.js";
import { LANGUAGE_INFO, type Translator } from "../i18n/index.js";
import { LANGUAGES } from "../i18n/negotiate.js";

export interface PageFrame {
  readonly t: Translator;
  readonly siteName: string;
  /** Optional links every page shows in its footer (config `terms_url`, `privacy_url`). */
  readonly termsUrl?: string | undefined;
  readonly privacyUrl?: string | undefined;
}

export function layout(frame: PageFrame, view: { title: string; body: SafeHtml }): SafeHtml {
  const { t } = frame;
  return html`<!doctype html>
<html lang="${t.language}" dir="${t.dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${view.title} · ${frame.siteName}</title>
<link rel="stylesheet" href="/static/style.css">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
</head>
<body>
<header><a class="language-link" href="#languages">${t.text("layout.language")}: ${LANGUAGE_INFO[t.language].name}</a></header>
<main>
${view.body}
</main>
<footer>
<p>${frame.siteName}${frame.termsUrl ? html` · <a href="${frame.termsUrl}">${t.text("layout.terms")}</a>` : ""}${frame.privacyUrl ? html` · <a href="${frame.privacyUrl}">${t.text("layout.privacy")}</a>` : ""}</p>
${languagePicker(t)}
</footer>
</body>
</html>
`;
}

/** Plain links (no script): `?lang=` keeps the page and sets the cookie that remembers the choice. */
function languagePicker(t: Translator): SafeHtml {
  return html`<nav id="languages" aria-label="${t.text("layout.languages")}">
<h2 class="picker-title">${t.text("layout.languages")}</h2>
<ul class="languages">
${LANGUAGES.map((language) => {
  const { name, dir } = LANGUAGE_INFO[language];
  const current = language === t.language;
  return html`<li><a href="?lang=${language}" lang="${language}" hreflang="${language}" dir="${dir}"${current ? html` aria-current="true"` : ""}>${name}</a></li>`;
})}
</ul>
</nav>`;
}

/**
 * The list of what a refused form got wrong, first on the page: it takes the focus on load (no
 * script: `autofocus` on a focusable box), is read out, and links each line to its field.
 */
export function errorSummary(t: Translator, fields: ReadonlyArray<{ readonly field?: string; readonly text: string | undefined }>): SafeHtml {
  const entries = fields.filter((entry): entry is { field?: string; text: string } => entry.text !== undefined);
  if (entries.length === 0) return html``;
  return html`<div class="error-summary" id="error-summary" tabindex="-1" autofocus aria-labelledby="error-summary-title">
<h2 id="error-summary-title">${t.text("form.errors.title", { count: entries.length })}</h2>
<ul>
${entries.map((entry) => html`<li>${entry.field === undefined ? entry.text : html`<a href="#${entry.field}">${entry.text}</a>`}</li>`)}
</ul>
</div>`;
}
