// GET /invite/{token}: who invited you, to which site, and the one thing to do first. An app can
// redeem a registration invite only when the server has the bridge; otherwise the page leads with
// the browser and then sends the invitee to their app to log in.
import { CLIENT_APPS, PLATFORMS, playStoreLink } from "../apps.js";
import { type SafeHtml, html } from "../html.js";
import { type Invite, registersAccount } from "../../invites/invite.js";
import { jidUri } from "../../invites/uri.js";
import { layout } from "./layout.js";

export interface LandingView {
  readonly siteName: string;
  readonly domain: string;
  readonly invite: Invite;
  /** The invite's xmpp: URI. */
  readonly uri: string;
  /** For contact invites: the invite without ;ibr=y, for people who already have an account. */
  readonly contactUri: string | undefined;
  readonly registerUrl: string | undefined;
  readonly qrSvg: SafeHtml;
  /** Whether the server redeems invites in its own registration (its bridge module works). */
  readonly bridge: boolean;
}

/** Whether an app given the invite's URI can do what it promises on this server. */
export function appRedeems(invite: Invite, bridge: boolean): boolean {
  const viaRegistration = registersAccount(invite) || invite.type === "reset";
  return bridge || !viaRegistration;
}

export function landingPage(view: LandingView): SafeHtml {
  const { invite, siteName } = view;
  const heading =
    invite.type === "contact"
      ? html`<span class="jid">${invite.inviter}</span> invites you to chat on ${siteName}`
      : invite.type === "reset"
        ? html`Reset the password of <span class="jid">${invite.username}@${view.domain}</span>`
        : html`You have been invited to chat on ${siteName}`;
  const body = appRedeems(invite, view.bridge) ? appFirst(view) : browserFirst(view);
  return layout({ title: "Invitation", siteName, body: html`<h1>${heading}</h1>${body}
<h2>On another device?</h2>
<p>Scan this code with the phone you want to chat on to open this page there.</p>
<div class="qr" role="img" aria-label="QR code of this page's address">${view.qrSvg}</div>
` });
}

/** The app can redeem the invite: open it there; the browser is the alternative. */
function appFirst(view: LandingView): SafeHtml {
  const { invite, siteName } = view;
  const registers = registersAccount(invite);
  const intro =
    invite.type === "reset"
      ? html`Open this link in your XMPP app to choose a new password, or do it in your browser.`
      : !registers
        ? html`Open this invitation in your XMPP app to add <span class="jid">${invite.inviter}</span> to your contacts.`
        : html`${siteName} uses XMPP, an open chat standard: pick an app below, then open this invitation in it${invite.type === "contact" ? " — you will be added to each other's contacts" : ""}.`;
  return html`
<p class="lead">${intro}</p>
<div class="actions">
  <a class="button" href="${view.uri}">Open in your app</a>
  ${view.registerUrl === undefined ? "" : html`<a class="button secondary" href="${view.registerUrl}">${invite.type === "reset" ? "Reset the password in the browser" : "Create an account in the browser"}</a>`}
</div>
${existingAccount(view)}
${validUntil(invite)}
${invite.type === "reset" ? "" : appList(registers ? "redeems" : "contact", view.uri)}
`;
}

/** No bridge: the browser creates the account (or sets the password); the app then logs in with it. */
function browserFirst(view: LandingView): SafeHtml {
  const { invite, siteName, domain } = view;
  const reset = invite.type === "reset";
  const known = invite.username === null ? undefined : `${invite.username}@${domain}`;
  const login = known === undefined
    ? html`Open your XMPP app, choose to log in with an existing account, and log in as <span class="jid">yourname@${domain}</span> with the username and password you chose.`
    : html`Open your XMPP app and log in as <a class="jid" href="${jidUri(known)}">${known}</a> with the ${reset ? "new " : ""}password.`;
  return html`
<p class="lead">${reset ? "Choose a new password here in your browser, then log in again in your app." : html`${siteName} uses XMPP, an open chat standard. Create your account here in your browser, then log in with it in any XMPP app${invite.type === "contact" ? " — you will be added to each other's contacts" : ""}.`}</p>
<ol class="steps">
  <li>${view.registerUrl === undefined ? "Registration is not available right now." : html`<a class="button" href="${view.registerUrl}">${reset ? "Choose a new password in the browser" : "Create your account in the browser"}</a>`}</li>
  <li>${login}</li>
</ol>
${existingAccount(view)}
${validUntil(invite)}
${reset ? "" : appList("login", undefined)}
`;
}

/**
 * People who already have an account (here or elsewhere) accept a contact invite from their app:
 * with the bridge, the inviter's server approves the request carrying the token (XEP-0379) at
 * once; without it, the inviter approves it by hand.
 */
function existingAccount(view: LandingView): SafeHtml {
  const { invite } = view;
  if (view.contactUri === undefined || invite.type !== "contact") return html``;
  return view.bridge
    ? html`<p class="existing">Already have an XMPP account, here or on another server? <a href="${view.contactUri}">Open this invitation in your app</a>: it asks <span class="jid">${invite.inviter}</span> to add you, and the request is accepted at once — you will be in each other's contacts.</p>`
    : html`<p class="existing">Already have an XMPP account? <a href="${view.contactUri}">Add <span class="jid">${invite.inviter}</span> in your app</a> instead; <span class="jid">${invite.inviter}</span> then approves your request.</p>`;
}

function validUntil(invite: Invite): SafeHtml {
  return html`<p class="muted">This invitation is valid until <time datetime="${new Date(invite.expiresAt).toISOString()}">${new Date(invite.expiresAt).toUTCString()}</time>.</p>`;
}

/**
 * redeems: apps that take preauth links are badged and get the invite through the Play Store;
 * contact: any app adds the contact; login: apps only log in, so no app is said to open the invite.
 */
function appList(mode: "redeems" | "contact" | "login", uri: string | undefined): SafeHtml {
  const sections = PLATFORMS.map((platform) => {
    const apps = CLIENT_APPS.filter((app) => app.platforms.includes(platform));
    if (apps.length === 0) return "";
    return html`
<h3>${platform}</h3>
<ul class="apps">
${apps.map((app) => {
  const play = platform === "Android" ? playStoreLink(app, mode === "login" ? undefined : uri) : undefined;
  const badge = mode === "redeems" && app.supportsPreauth;
  return html`<li><strong>${app.name}</strong>${badge ? html`<span class="badge">opens invites directly</span>` : ""}
  — ${play === undefined ? "" : html`<a href="${play}" rel="noreferrer">Google Play</a> · `}${app.links.map((link, i) => html`${i > 0 ? " · " : ""}<a href="${link.url}" rel="noreferrer">${link.label}</a>`)}
  ${mode === "redeems" && !app.supportsPreauth ? html`<br><span class="muted">Create your account in the browser first, then log in with it.</span>` : ""}</li>`;
})}
</ul>`;
  });
  return html`<h2>Get an app</h2>${sections}`;
}
