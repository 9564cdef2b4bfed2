// GET /invite/{token}: who invited you, to which site, and the one thing to do first. An app can
// redeem a registration invite only when the server has the bridge; otherwise the page leads with
// the browser and then sends the invitee to their app to log in. When the app redeems, the page is
// a two-step flow that survives the install (iOS and F-Droid do not carry the invite through it):
// install, come back to this page, open the invite.
import { type ClientApp, type Platform, platformOrder, playStoreLink } from "../apps.js";
import { type SafeHtml, html } from "../html.js";
import type { Translator } from "../i18n/index.js";
import { type Invite, registersAccount } from "../../invites/domain/invite.js";
import { jidUri } from "../../invites/domain/uri.js";
import { type PageFrame, layout } from "./layout.js";

export interface LandingView {
  readonly frame: PageFrame;
  readonly domain: string;
  readonly invite: Invite;
  /** The invite's xmpp: URI. */
  readonly uri: string;
  /** This page's own address, to copy or scan on another device. */
  readonly pageUrl: string;
  /** For contact invites that may also register: the same invite without ;ibr=y, for people who already have an account. */
  readonly contactUri: string | undefined;
  readonly registerUrl: string | undefined;
  readonly qrSvg: SafeHtml;
  /** Whether the server redeems invites in its own registration (its bridge module works). */
  readonly bridge: boolean;
  readonly apps: readonly ClientApp[];
  /** The visitor's phone platform (from the User-Agent); undefined on a computer. */
  readonly phone: Platform | undefined;
  /** How the visitor presses a button (from the User-Agent): undefined when it cannot tell. */
  readonly pointer: "tap" | "click" | undefined;
}

/** Whether an app given the invite's URI can do what it promises on this server. */
export function appRedeems(invite: Invite, bridge: boolean): boolean {
  const viaRegistration = registersAccount(invite) || invite.type === "reset";
  return bridge || !viaRegistration;
}

export function landingPage(view: LandingView): SafeHtml {
  const { invite, frame } = view;
  const { t } = frame;
  const heading =
    invite.type === "contact"
      ? t.rich("landing.heading.contact", { inviter: invite.inviter ?? "", site: frame.siteName })
      : invite.type === "reset"
        ? t.rich("landing.heading.reset", { address: `${invite.username}@${view.domain}` })
        : t.rich("landing.heading.account", { site: frame.siteName });
  const body = appRedeems(invite, view.bridge) ? appFirst(view) : browserFirst(view);
  // On a computer the code comes first: the invite is meant for the phone in the visitor's pocket.
  const qr = html`
<section aria-labelledby="qr-title">
<h2 id="qr-title">${view.phone === undefined ? t.text("landing.qr.desktop.title") : t.text("landing.qr.phone.title")}</h2>
<p>${t.text("landing.qr.text")}</p>
<div class="qr" role="img" aria-label="${t.text("landing.qr.label")}">${view.qrSvg}</div>
</section>`;
  return layout(frame, {
    title: t.text("landing.title"),
    body: html`<h1>${heading}</h1>${view.phone === undefined ? html`${lead(view)}${qr}${body}` : html`${lead(view)}${body}${qr}`}
${validUntil(t, invite)}`,
  });
}

function lead(view: LandingView): SafeHtml {
  const { invite, frame } = view;
  const { t } = frame;
  const redeems = appRedeems(invite, view.bridge);
  if (invite.type === "reset") return html`<p class="lead">${t.text(redeems ? "landing.lead.reset.app" : "landing.lead.reset.browser")}</p>`;
  if (!registersAccount(invite)) return html`<p class="lead">${t.rich("landing.lead.contactOnly", { inviter: invite.inviter ?? "" })}</p>`;
  const key = redeems
    ? invite.type === "contact" ? "landing.lead.app.contact" : "landing.lead.app"
    : invite.type === "contact" ? "landing.lead.browser.contact" : "landing.lead.browser";
  return html`<p class="lead">${t.text(key, { site: frame.siteName })}</p>`;
}

/** The app can redeem the invite: install, come back, open it there; the browser is the alternative. */
function appFirst(view: LandingView): SafeHtml {
  const { invite, frame } = view;
  const { t } = frame;
  if (invite.type === "reset") {
    return html`
<div class="actions">
  <a class="button" href="${view.uri}">${t.text("landing.open")}</a>
  ${view.registerUrl === undefined ? "" : html`<a class="button secondary" href="${view.registerUrl}">${t.text("landing.reset.browser")}</a>`}
</div>`;
  }
  const registers = registersAccount(invite);
  return html`
<ol class="steps">
  <li>
    <h2>${t.text("landing.step.install")}</h2>
    <p>${t.text("landing.step.install.text")}</p>
    ${appList(view, registers ? "redeems" : "contact")}
  </li>
  <li>
    <h2>${t.text("landing.step.open")}</h2>
    <p>${t.text(view.pointer === "tap" ? "landing.step.open.text.tap" : view.pointer === "click" ? "landing.step.open.text.click" : "landing.step.open.text")}</p>
    <div class="actions"><a class="button" href="${view.uri}">${t.text("landing.open")}</a></div>
    ${copyField(t, "invite-link", t.text("landing.copy.uri"), view.uri)}
  </li>
</ol>
${view.registerUrl === undefined ? "" : html`<p>${t.text("landing.alternative.browser")}</p>
<div class="actions"><a class="button secondary" href="${view.registerUrl}">${t.text("landing.register.browser")}</a></div>`}
${existingAccount(view)}
`;
}

/**
 * People who already have an account (here or elsewhere) accept a contact invite that may also
 * register from their app: with the bridge, the inviter's server approves the request carrying
 * the token (XEP-0379) at once; without it, the inviter approves it by hand.
 */
function existingAccount(view: LandingView): SafeHtml {
  const { invite, frame } = view;
  if (view.contactUri === undefined || invite.type !== "contact") return html``;
  return html`<p class="existing">${frame.t.rich(view.bridge ? "landing.contact.existing.bridge" : "landing.contact.existing", {
    inviter: invite.inviter ?? "",
    link: (chunks) => html`<a href="${view.contactUri}">${chunks}</a>`,
  })}</p>`;
}

/** No bridge: the browser creates the account (or sets the password); the app then logs in with it. */
function browserFirst(view: LandingView): SafeHtml {
  const { invite, domain, frame } = view;
  const { t } = frame;
  const reset = invite.type === "reset";
  const known = invite.username === null ? undefined : `${invite.username}@${domain}`;
  const login = known === undefined
    ? t.rich("landing.login.any", { example: `${t.text("landing.example.username")}@${domain}` })
    : t.rich(reset ? "landing.login.reset" : "landing.login.known", { address: known, link: (chunks) => html`<a class="jid" href="${jidUri(known)}">${chunks}</a>` });
  return html`
<ol class="steps">
  <li>${view.registerUrl === undefined ? t.text("landing.register.unavailable") : html`<a class="button" href="${view.registerUrl}">${t.text(reset ? "landing.reset.browser" : "landing.register.browser")}</a>`}</li>
  <li>${login}</li>
</ol>
${existingAccount(view)}
${reset ? "" : html`<h2>${t.text("landing.apps.title")}</h2>${appList(view, "login")}`}
`;
}

export function copyField(t: Translator, id: string, label: string, value: string): SafeHtml {
  return html`<div><label for="${id}">${label}</label>
<input type="text" class="copy" id="${id}" value="${value}" readonly spellcheck="false" autocomplete="off"></div>
<p class="muted">${t.text("landing.copy.hint")}</p>`;
}

function validUntil(t: Translator, invite: Invite): SafeHtml {
  return html`<p class="muted">${t.rich("landing.validUntil", { date: html`<time datetime="${new Date(invite.expiresAt).toISOString()}">${t.date(invite.expiresAt)}</time>` })}</p>`;
}

/** What an app list needs: on a success page there is no invite to hand over (`uri` undefined). */
export type AppListView = Pick<LandingView, "frame" | "apps" | "phone"> & { readonly uri: string | undefined };

/**
 * redeems: apps that take preauth links are badged and get the invite through the Play Store;
 * contact: any app adds the contact; login: apps only log in, so no app is said to open the invite.
 * On a phone its own platform's apps are listed, the others behind a disclosure.
 */
export function appList(view: AppListView, mode: "redeems" | "contact" | "login"): SafeHtml {
  const { t } = view.frame;
  if (view.phone === undefined) return appSections(view, mode, platformOrder(undefined));
  const [own = view.phone, ...others] = platformOrder(view.phone);
  return html`${appSections(view, mode, [own])}
<details class="more-apps"><summary>${t.text("apps.more")}</summary>${appSections(view, mode, others)}</details>`;
}

function appSections(view: AppListView, mode: "redeems" | "contact" | "login", platforms: readonly Platform[]): SafeHtml {
  const { t } = view.frame;
  const uri = mode === "login" ? undefined : view.uri;
  const sections = platforms.map((platform) => {
    const apps = view.apps.filter((app) => app.platforms.includes(platform));
    if (apps.length === 0) return "";
    const name = platform === "Web" ? t.text("apps.platform.web") : platform;
    return html`
<h3>${platform === view.phone ? t.text("apps.platform.yours", { platform: name }) : name}</h3>
<ul class="apps">
${apps.map((app) => {
  const play = platform === "Android" ? playStoreLink(app, uri) : undefined;
  const badge = mode === "redeems" && app.supportsPreauth;
  const links = [
    ...(play === undefined ? [] : [html`<a href="${play}" rel="noreferrer">Google Play</a>`]),
    ...app.links.map((link) => html`<a href="${link.url}" rel="noreferrer">${linkLabel(t, link)}</a>`),
  ];
  return html`<li><strong>${app.name}</strong>${badge ? html` <span class="badge">${t.text("apps.badge")}</span>` : ""}
  — ${links.map((link, i) => html`${i > 0 ? " · " : ""}${link}`)}
  ${mode === "redeems" && !app.supportsPreauth ? html`<br><span class="muted">${t.text("apps.noPreauth")}</span>` : ""}</li>`;
})}
</ul>`;
  });
  return html`${sections}`;
}

function linkLabel(t: Translator, link: ClientApp["links"][number]): string {
  switch (link.kind) {
    case "fdroid":
      return "F-Droid";
    case "appstore":
      return "App Store";
    case "play":
      return "Google Play";
    case "website":
      return t.text("apps.website");
    default:
      return link.label ?? t.text("apps.website");
  }
}
