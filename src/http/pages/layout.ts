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

// Logical properties (margin-inline-start, text-align: start…) so right-to-left pages mirror.
export const STYLE_CSS = `
:root { color-scheme: light dark; --accent: #1a5fd0; --muted: #5b6474; --bad: #b42318; --ok: #067647; }
@media (prefers-color-scheme: dark) { :root { --accent: #7eb0ff; --muted: #a9b1bf; --bad: #ff8a80; --ok: #6fd3a3; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans Arabic", sans-serif; }
header { max-width: 40rem; margin: 0 auto; padding: .75rem 1rem 0; text-align: end; font-size: .9rem; }
main { max-width: 40rem; margin: 0 auto; padding: 1rem 1rem 3rem; }
footer { max-width: 40rem; margin: 0 auto; text-align: center; color: var(--muted); font-size: .9rem; padding: 0 1rem 2rem; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible, summary:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: .5rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; }
h3 { font-size: 1rem; margin: 1.25rem 0 .25rem; color: var(--muted); }
.picker-title { font-size: .9rem; margin: 1rem 0 .25rem; }
ul.languages { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; justify-content: center; gap: .25rem .75rem; }
ul.languages a { display: inline-block; padding: .4rem .2rem; }
ul.languages a[aria-current] { font-weight: 700; color: inherit; }
.lead { font-size: 1.1rem; }
.muted { color: var(--muted); }
a.button, button { display: inline-block; font: inherit; font-weight: 600; padding: .75rem 1.25rem; border-radius: .5rem;
  border: 0; background: var(--accent); color: #fff; text-decoration: none; cursor: pointer; min-height: 44px; }
@media (prefers-color-scheme: dark) { a.button, button { color: #0b1220; } }
a.button.secondary { background: transparent; color: var(--accent); border: 2px solid var(--accent); }
ol.steps { padding-inline-start: 1.25rem; }
ol.steps > li { margin: .75rem 0 1.5rem; }
ol.steps h2 { margin-top: 0; }
.actions { display: flex; flex-wrap: wrap; gap: .75rem; margin: 1.25rem 0; }
ul.apps { list-style: none; padding: 0; margin: 0; }
ul.apps li { padding: .5rem 0; border-bottom: 1px solid rgba(127,127,127,.25); }
ul.apps a { display: inline-block; padding: .25rem 0; }
.badge { font-size: .8rem; padding: .1rem .4rem; border-radius: .25rem; background: rgba(6,118,71,.15); color: var(--ok); margin-inline-start: .25rem; }
.qr { max-width: 14rem; margin: 1rem 0; }
.qr svg { width: 100%; height: auto; background: #fff; padding: .5rem; border-radius: .5rem; }
form { display: grid; gap: 1rem; margin-top: 1rem; }
label { font-weight: 600; display: block; margin-bottom: .25rem; }
label.check { font-weight: 400; display: flex; gap: .5rem; align-items: flex-start; }
label.check input { width: 1.25rem; height: 1.25rem; margin-top: .15rem; flex: none; }
.field-row { display: flex; align-items: center; gap: .25rem; }
.field-row > span { direction: ltr; }
input[type=text], input[type=password], input[type=url], textarea { font: inherit; width: 100%; padding: .6rem .75rem; border-radius: .5rem;
  border: 1px solid rgba(127,127,127,.8); min-height: 44px; background: transparent; color: inherit; }
input[readonly] { background: rgba(127,127,127,.12); }
input.copy { direction: ltr; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9rem; }
.error { color: var(--bad); margin: .25rem 0 0; }
.alert { border-inline-start: 4px solid var(--bad); padding: .5rem .75rem; background: rgba(180,35,24,.08); }
.success { border-inline-start: 4px solid var(--ok); padding: .5rem .75rem; background: rgba(6,118,71,.08); }
code, .jid { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; word-break: break-all; unicode-bidi: isolate; direction: ltr; }
`;

/** A small mark for the browser tab, so no page load ends in a 404. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1a5fd0"/><path d="M7 9h18a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H14l-6 5v-5H7a2 2 0 0 1-2-2v-9a2 2 0 0 1 2-2z" fill="#fff"/></svg>`;
