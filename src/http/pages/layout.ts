import { type SafeHtml, html } from "../html.js";

export function layout(view: { title: string; siteName: string; body: SafeHtml }): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${view.title} · ${view.siteName}</title>
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<main>
${view.body}
</main>
<footer><p>${view.siteName}</p></footer>
</body>
</html>
`;
}

export const STYLE_CSS = `
:root { color-scheme: light dark; --accent: #1f6feb; --muted: #667085; --bad: #b42318; --ok: #067647; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 40rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
footer { text-align: center; color: var(--muted); font-size: .875rem; padding-bottom: 2rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: .5rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; }
h3 { font-size: 1rem; margin: 1.25rem 0 .25rem; color: var(--muted); }
.lead { font-size: 1.1rem; }
.muted { color: var(--muted); }
a.button, button { display: inline-block; font: inherit; font-weight: 600; padding: .75rem 1.25rem; border-radius: .5rem;
  border: 0; background: var(--accent); color: #fff; text-decoration: none; cursor: pointer; min-height: 44px; }
a.button.secondary { background: transparent; color: var(--accent); border: 2px solid var(--accent); }
ol.steps { padding-left: 1.25rem; }
ol.steps li { margin: .75rem 0; }
.actions { display: flex; flex-wrap: wrap; gap: .75rem; margin: 1.25rem 0; }
ul.apps { list-style: none; padding: 0; margin: 0; }
ul.apps li { padding: .5rem 0; border-bottom: 1px solid rgba(127,127,127,.25); }
.badge { font-size: .75rem; padding: .1rem .4rem; border-radius: .25rem; background: rgba(6,118,71,.15); color: var(--ok); margin-left: .25rem; }
.qr { max-width: 14rem; margin: 1rem 0; }
.qr svg { width: 100%; height: auto; background: #fff; padding: .5rem; border-radius: .5rem; }
form { display: grid; gap: 1rem; margin-top: 1rem; }
label { font-weight: 600; display: block; margin-bottom: .25rem; }
.field-row { display: flex; align-items: center; gap: .25rem; }
input[type=text], input[type=password] { font: inherit; width: 100%; padding: .6rem .75rem; border-radius: .5rem;
  border: 1px solid rgba(127,127,127,.6); min-height: 44px; }
input[readonly] { background: rgba(127,127,127,.1); }
.error { color: var(--bad); margin: .25rem 0 0; }
.alert { border-left: 4px solid var(--bad); padding: .5rem .75rem; background: rgba(180,35,24,.08); }
.success { border-left: 4px solid var(--ok); padding: .5rem .75rem; background: rgba(6,118,71,.08); }
code, .jid { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; word-break: break-all; }
`;
