// The portal's user pages: sign in, the account page (the user's invites, a form to make one,
// who invited them and the welcome text) and a new invite with its link, QR code and message.
import { type Invite, type InviteKind, inviteKind, inviteStatus } from "../../invites/domain/invite.js";
import type { Invitation } from "../../invites/ports/store.js";
import { type SafeHtml, html } from "../html.js";
import type { MessageKey, Translator } from "../i18n/index.js";
import { copyField } from "./landing.js";
import { type PageFrame, layout } from "./layout.js";

export interface LoginView {
  readonly frame: PageFrame;
  readonly domain: string;
  readonly csrf: string;
  readonly username: string;
  /** Shown above the form (refused, limited, unavailable, signed out). */
  readonly alert?: string | undefined;
  readonly notice?: string | undefined;
}

export function loginPage(view: LoginView): SafeHtml {
  const { t } = view.frame;
  const body = html`
<h1>${t.text("portal.login.heading", { site: view.frame.siteName })}</h1>
${view.notice ? html`<p class="success" role="status">${view.notice}</p>` : ""}
${view.alert ? html`<p class="alert" role="alert">${view.alert}</p>` : ""}
<p>${t.text("portal.login.lead")}</p>
<form method="post" action="/account/login" novalidate>
  <input type="hidden" name="csrf" value="${view.csrf}">
  <div>
    <label for="username">${t.text("portal.login.username")}</label>
    <div class="field-row">
      <input type="text" id="username" name="username" value="${view.username}" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="1023" dir="ltr" aria-describedby="username-domain">
      <span class="muted" id="username-domain">@${view.domain}</span>
    </div>
  </div>
  <div>
    <label for="password">${t.text("portal.login.password")}</label>
    <input type="password" id="password" name="password" autocomplete="current-password" required dir="ltr">
  </div>
  <div><button type="submit">${t.text("portal.login.submit")}</button></div>
</form>
`;
  return layout(view.frame, { title: t.text("portal.login.title"), body });
}

/** The sign-out button every signed-in page carries, and the link to /admin for admins. */
export function signedInBar(t: Translator, jid: string, csrf: string, isAdmin: boolean, here: "account" | "admin"): SafeHtml {
  return html`<div class="portal-bar">
<p>${t.rich("portal.account.signedInAs", { address: jid })}</p>
<div class="actions">
${isAdmin && here === "account" ? html`<a class="button secondary" href="/admin">${t.text("portal.admin.link")}</a>` : ""}
${here === "admin" ? html`<a class="button secondary" href="/account">${t.text("portal.account.title")}</a>` : ""}
<form method="post" action="/account/logout"><input type="hidden" name="csrf" value="${csrf}"><button type="submit" class="secondary">${t.text("portal.logout")}</button></form>
</div>
</div>`;
}

const KIND_KEYS: Record<InviteKind, MessageKey> = {
  account: "portal.kind.account",
  group: "portal.kind.group",
  contact: "portal.kind.contact",
  "contact+register": "portal.kind.contactRegister",
  reset: "portal.kind.reset",
};

export const kindText = (t: Translator, invite: Invite) => t.text(KIND_KEYS[inviteKind(invite)]);
export const statusText = (t: Translator, invite: Invite, now: number) => t.text(`portal.status.${inviteStatus(invite, now)}`);
export const timeCell = (t: Translator, ms: number) => html`<time datetime="${new Date(ms).toISOString()}">${t.date(ms)}</time>`;

/** A revoke button for an invite that can still be used. */
export function revokeButton(t: Translator, invite: Invite, now: number, action: string, csrf: string): SafeHtml {
  if (inviteStatus(invite, now) !== "active") return html``;
  return html`<form method="post" action="${action}" class="inline"><input type="hidden" name="csrf" value="${csrf}"><button type="submit" class="secondary small" aria-label="${t.text("portal.revoke")} ${invite.id}">${t.text("portal.revoke")}</button></form>`;
}

export interface AccountView {
  readonly frame: PageFrame;
  readonly jid: string;
  readonly csrf: string;
  readonly isAdmin: boolean;
  readonly now: number;
  readonly invites: readonly Invite[];
  /** Who joined through each invite, by invite id. */
  readonly joined: ReadonlyMap<string, readonly Invitation[]>;
  readonly invitedBy: string | undefined;
  readonly welcome: string | undefined;
  /** Whether users' invites may create an account (allow_user_invites, or an admin). */
  readonly registers: boolean;
  /** Whether this user may create contact invites at all. */
  readonly mayInvite: boolean;
  readonly notice?: string | undefined;
  readonly alert?: string | undefined;
}

export function accountPage(view: AccountView): SafeHtml {
  const { t } = view.frame;
  const body = html`
<h1>${t.text("portal.account.title")}</h1>
${signedInBar(t, view.jid, view.csrf, view.isAdmin, "account")}
${view.notice ? html`<p class="success" role="status">${view.notice}</p>` : ""}
${view.alert ? html`<p class="alert" role="alert">${view.alert}</p>` : ""}
${view.invitedBy ? html`<p>${t.rich("portal.account.invitedBy", { inviter: view.invitedBy })}</p>` : ""}
${view.mayInvite ? html`<h2 id="create-title">${t.text("portal.account.create.heading")}</h2>
<p>${t.text("portal.account.create.lead")}${view.registers ? html` ${t.text("portal.account.create.register", { site: view.frame.siteName })}` : ""}</p>
<form method="post" action="/account/invites" aria-labelledby="create-title">
  <input type="hidden" name="csrf" value="${view.csrf}">
  <div><button type="submit">${t.text("portal.account.create.submit")}</button></div>
</form>` : ""}
<h2>${t.text("portal.account.list.heading")}</h2>
${view.invites.length === 0 ? html`<p class="muted">${t.text("portal.account.list.empty")}</p>` : inviteTable(view)}
${view.welcome ? html`<h2>${t.text("portal.account.welcome")}</h2><blockquote class="welcome">${view.welcome}</blockquote>` : ""}
`;
  return layout(view.frame, { title: t.text("portal.account.title"), body });
}

function inviteTable(view: AccountView): SafeHtml {
  const { t } = view.frame;
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="${t.text("portal.account.list.heading")}"><table>
<thead><tr><th scope="col">${t.text("portal.col.kind")}</th><th scope="col">${t.text("portal.col.created")}</th><th scope="col">${t.text("portal.col.expires")}</th><th scope="col">${t.text("portal.col.uses")}</th><th scope="col">${t.text("portal.col.joined")}</th><th scope="col">${t.text("portal.col.status")}</th><th scope="col">${t.text("portal.col.actions")}</th></tr></thead>
<tbody>
${view.invites.map((invite) => html`<tr>
<td>${kindText(t, invite)}</td>
<td>${timeCell(t, invite.createdAt)}</td>
<td>${timeCell(t, invite.expiresAt)}</td>
<td>${invite.uses}/${invite.maxUses}</td>
<td>${(view.joined.get(invite.id) ?? []).map((joined, i) => html`${i > 0 ? ", " : ""}<span class="jid">${joined.invitee}</span>`)}</td>
<td>${statusText(t, invite, view.now)}</td>
<td>${revokeButton(t, invite, view.now, `/account/invites/${invite.id}/revoke`, view.csrf)}</td>
</tr>`)}
</tbody></table></div>`;
}

export interface CreatedView {
  readonly frame: PageFrame;
  readonly invite: Invite;
  readonly pageUrl: string;
  readonly qrSvg: SafeHtml;
  readonly back: string;
}

/** A new invite: its web page's link (what the ad-hoc command's result also gives), the QR code of that link and a message to send. */
export function createdPage(view: CreatedView): SafeHtml {
  const { t } = view.frame;
  const message = t.text("portal.created.text", { site: view.frame.siteName, url: view.pageUrl });
  const body = html`
<h1>${t.text("portal.created.heading")}</h1>
<p class="lead">${t.rich("portal.created.lead", { date: timeCell(t, view.invite.expiresAt) })}</p>
${copyField(t, "invite-link", t.text("portal.created.link"), view.pageUrl)}
<div><label for="invite-message">${t.text("portal.created.message")}</label>
<textarea id="invite-message" rows="4" readonly>${message}</textarea></div>
<div class="qr" role="img" aria-label="${t.text("portal.created.qr")}">${view.qrSvg}</div>
<div class="actions"><a class="button" href="${view.back}">${t.text("portal.back")}</a></div>
`;
  return layout(view.frame, { title: t.text("portal.created.title"), body });
}
