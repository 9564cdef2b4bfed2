// GET /invite/{token}: who invited you, to which site, the app to use, and the web form.
import { CLIENT_APPS, PLATFORMS, playStoreLink } from "../apps.js";
import { type SafeHtml, html } from "../html.js";
import type { Invite } from "../../invites/invite.js";
import { layout } from "./layout.js";

export interface LandingView {
  readonly siteName: string;
  readonly domain: string;
  readonly invite: Invite;
  readonly uri: string;
  readonly registerUrl: string | undefined;
  readonly qrSvg: SafeHtml;
}

export function landingPage(view: LandingView): SafeHtml {
  const { invite, siteName } = view;
  const heading =
    invite.type === "contact"
      ? html`<span class="jid">${invite.inviter}</span> invites you to chat on ${siteName}`
      : invite.type === "reset"
        ? html`Reset the password of <span class="jid">${invite.username}@${view.domain}</span>`
        : html`You have been invited to chat on ${siteName}`;
  const intro =
    invite.type === "reset"
      ? html`Choose a new password in your browser, or open the link in an app that supports password-reset invites.`
      : invite.type === "contact" && !invite.allowRegistration
        ? html`Open this invitation in your XMPP app to add <span class="jid">${invite.inviter}</span> to your contacts.`
        : html`${siteName} uses XMPP, an open chat standard: pick an app below, then open this invitation in it${invite.type === "contact" ? " — you will be added to each other's contacts" : ""}.`;

  const body = html`
<h1>${heading}</h1>
<p class="lead">${intro}</p>
<div class="actions">
  <a class="button" href="${view.uri}">Open in your app</a>
  ${view.registerUrl === undefined ? "" : html`<a class="button secondary" href="${view.registerUrl}">${invite.type === "reset" ? "Reset the password in the browser" : "Create an account in the browser"}</a>`}
</div>
<p class="muted">This invitation is valid until <time datetime="${new Date(invite.expiresAt).toISOString()}">${new Date(invite.expiresAt).toUTCString()}</time>.</p>
${invite.type === "reset" ? "" : appList(view.uri)}
<h2>On another device?</h2>
<p>Scan this code with the phone you want to chat on to open this page there.</p>
<div class="qr" role="img" aria-label="QR code of this page's address">${view.qrSvg}</div>
`;
  return layout({ title: "Invitation", siteName, body });
}

function appList(uri: string): SafeHtml {
  const sections = PLATFORMS.map((platform) => {
    const apps = CLIENT_APPS.filter((app) => app.platforms.includes(platform));
    if (apps.length === 0) return "";
    return html`
<h3>${platform}</h3>
<ul class="apps">
${apps.map((app) => {
  const play = platform === "Android" ? playStoreLink(app, uri) : undefined;
  return html`<li><strong>${app.name}</strong>${app.supportsPreauth ? html`<span class="badge">opens invites directly</span>` : ""}
  — ${play === undefined ? "" : html`<a href="${play}" rel="noreferrer">Google Play</a> · `}${app.links.map((link, i) => html`${i > 0 ? " · " : ""}<a href="${link.url}" rel="noreferrer">${link.label}</a>`)}
  ${app.supportsPreauth ? "" : html`<br><span class="muted">Create your account in the browser first, then log in with it.</span>`}</li>`;
})}
</ul>`;
  });
  return html`<h2>Get an app</h2>${sections}`;
}
