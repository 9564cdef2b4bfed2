// The pages a visitor ends on: success, the single "invite not valid" page, messages, and the
// front page (with the account request form when requests are enabled).
import type { ClientApp, Platform } from "../apps.js";
import { type SafeHtml, html } from "../html.js";
import { jidUri } from "../../invites/domain/uri.js";
import { appList } from "./landing.js";
import { type PageFrame, errorSummary, layout } from "./layout.js";
import { usernameRules } from "./register.js";

/** What a success page says: kept in its address (a signed note), so it survives a reload. */
export interface Done {
  readonly jid: string;
  readonly action: "created" | "password-reset";
  /** Who invited the new account (they are now each other's contacts). */
  readonly inviter: string | null;
}

export interface SuccessView extends Done {
  readonly frame: PageFrame;
  readonly domain: string;
  readonly webchatUrl: string | undefined;
  readonly apps: readonly ClientApp[];
  readonly phone: Platform | undefined;
}

/**
 * GET /done/…: the account exists (or its password changed). The next step is the app: open it
 * (the button opens the server's address, which starts the app without adding anyone), log in as
 * the new address; the apps to choose from are on this page, the invite's own page being used up.
 */
export function successPage(view: SuccessView): SafeHtml {
  const { frame } = view;
  const { t } = frame;
  const created = view.action === "created";
  const body = html`
<h1>${t.text(created ? "success.heading" : "success.heading.reset")}</h1>
<p class="success" role="status">${t.rich(created ? "success.loginAs" : "success.loginAgain", { address: view.jid })}</p>
${created && view.inviter ? html`<p>${t.rich("success.contacts", { inviter: view.inviter })}</p>` : ""}
<h2>${t.text("success.next")}</h2>
<ol>
  <li>${t.text(created ? "success.next.open" : "success.next.open.reset")}</li>
  <li>${t.rich("success.next.login", { address: view.jid })}</li>
</ol>
<div class="actions">
  <a class="button" href="${jidUri(view.domain)}">${t.text("success.open")}</a>
  ${view.webchatUrl ? html`<a class="button secondary" href="${view.webchatUrl}" rel="noreferrer">${t.text("success.webchat")}</a>` : ""}
</div>
${created ? html`<h2>${t.text("landing.apps.title")}</h2>${appList({ frame, apps: view.apps, phone: view.phone, uri: undefined }, "login")}` : ""}
`;
  return layout(frame, { title: t.text(created ? "success.title" : "success.title.reset"), body });
}

/** A success page's address past its lifetime: nothing is said about whose it was. */
export function doneExpiredPage(frame: PageFrame): SafeHtml {
  const { t } = frame;
  return layout(frame, { title: t.text("done.expired.title"), body: html`<h1>${t.text("done.expired.heading")}</h1><p class="lead">${t.text("done.expired.lead")}</p>` });
}

/** 404s that are not about an invite: an unknown request link, or no page at all at the address. */
export function notFoundPage(frame: PageFrame, kind: "request" | "page"): SafeHtml {
  const { t } = frame;
  const body = kind === "request"
    ? html`<h1>${t.text("request.unknown.heading")}</h1><p class="lead">${t.text("request.unknown.lead")}</p>
<div class="actions"><a class="button" href="/">${t.text("request.again")}</a></div>`
    : html`<h1>${t.text("notFound.heading")}</h1><p class="lead">${t.text("notFound.lead")}</p>
<div class="actions"><a class="button" href="/">${t.text("notFound.home")}</a></div>`;
  return layout(frame, { title: t.text(kind === "request" ? "request.unknown.title" : "notFound.title"), body });
}

/** The same page, and the same 404, for unknown, expired, revoked and used invites. */
export function invalidPage(frame: PageFrame): SafeHtml {
  const { t } = frame;
  const body = html`
<h1>${t.text("invalid.heading")}</h1>
<p class="lead">${t.text("invalid.lead")}</p>
<p>${t.text("invalid.ask")}</p>
`;
  return layout(frame, { title: t.text("invalid.title"), body });
}

export function messagePage(frame: PageFrame, title: string, message: string): SafeHtml {
  return layout(frame, { title, body: html`<h1>${title}</h1><p class="lead">${message}</p>` });
}

export interface HomeView {
  readonly frame: PageFrame;
  readonly domain: string;
  /** Present when account requests are enabled: the form's target and CSRF token. */
  /** The portal is on: the page links to its sign-in. */
  readonly portal?: boolean | undefined;
  readonly requestForm?: { readonly action: string; readonly csrf: string; readonly username: string; readonly message: string; readonly errors: { readonly username?: string; readonly message?: string; readonly general?: string } } | undefined;
}

/** GET /: where the XMPP server's registration redirect sends people without an invite. */
export function homePage(view: HomeView): SafeHtml {
  const { frame, requestForm: form } = view;
  const { t } = frame;
  const errorLine = (id: string, error: string | undefined) => (error ? html`<p class="error" id="${id}-error">${error}</p>` : "");
  const invalid = (id: string, error: string | undefined, hint?: string) => {
    const ids = [hint, error ? `${id}-error` : undefined].filter(Boolean).join(" ");
    return html`${error ? html` aria-invalid="true"` : ""}${ids ? html` aria-describedby="${ids}"` : ""}`;
  };
  const body = html`
<h1>${t.text("home.heading", { site: frame.siteName })}</h1>
<p class="lead">${t.rich("home.lead", { domain: view.domain })}</p>
<p>${t.text("home.haveInvite")}</p>
${view.portal ? html`<p class="portal-link">${t.rich("portal.home.signIn", { site: frame.siteName, link: (chunks) => html`<a href="/account/login">${chunks}</a>` })}</p>` : ""}
${form === undefined ? html`<p>${t.text("home.noInvite", { site: frame.siteName })}</p>` : html`
<h2 id="request-title">${t.text("request.form.heading")}</h2>
<p>${t.text("request.form.lead")}</p>
${errorSummary(t, [{ field: "username", text: form.errors.username }, { field: "message", text: form.errors.message }, { text: form.errors.general }])}
<form method="post" action="${form.action}" aria-labelledby="request-title" novalidate>
  <input type="hidden" name="csrf" value="${form.csrf}">
  <div>
    <label for="username">${t.text("request.form.username")}</label>
    <div class="field-row" dir="ltr">
      <input type="text" id="username" name="username" value="${form.username}" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="100" dir="ltr"${invalid("username", form.errors.username, "username-domain username-hint")}>
      <span class="muted" id="username-domain">@${view.domain}</span>
    </div>
    <p class="muted" id="username-hint">${usernameRules(t)}</p>
    ${errorLine("username", form.errors.username)}
  </div>
  <div>
    <label for="message">${t.text("request.form.message")}</label>
    <textarea id="message" name="message" rows="3" maxlength="500"${invalid("message", form.errors.message, "message-hint")}>${form.message}</textarea>
    <p class="muted" id="message-hint">${t.text("request.form.message.hint")}</p>
    ${errorLine("message", form.errors.message)}
  </div>
  <div><button type="submit">${t.text("request.form.submit")}</button></div>
</form>`}
`;
  return layout(frame, { title: t.text("home.title"), body });
}
