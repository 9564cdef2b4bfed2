// GET /admin: account requests waiting (approve, deny), invites of every kind to create, all
// invites with filters and revoke, revoking a user's pending invites, the invitation tree and the
// figures of /metrics as a table. Every action is a plain form post.
import { INVITE_KINDS, type Invite, type InviteKind } from "../../invites/domain/invite.js";
import type { AccountRequest } from "../../invites/ports/store.js";
import type { TreeNode } from "../../invites/social/tree.js";
import { type SafeHtml, html } from "../html.js";
import type { MessageKey, Translator } from "../i18n/index.js";
import { kindText, revokeButton, signedInBar, statusText, timeCell } from "./account.js";
import { type PageFrame, layout } from "./layout.js";

export const INVITE_STATUSES = ["active", "expired", "revoked", "used"] as const;

export interface AdminFilters {
  readonly status: (typeof INVITE_STATUSES)[number] | "";
  readonly kind: InviteKind | "";
  readonly inviter: string;
}

export interface AdminView {
  readonly frame: PageFrame;
  readonly jid: string;
  readonly csrf: string;
  readonly now: number;
  /** undefined: requests are off. */
  readonly requests: readonly AccountRequest[] | undefined;
  readonly invites: readonly Invite[];
  readonly filters: AdminFilters;
  readonly tree: readonly TreeNode[];
  readonly figures: readonly { name: string; value: string }[];
  readonly notice?: string | undefined;
  readonly alert?: string | undefined;
}

export function adminPage(view: AdminView): SafeHtml {
  const { t } = view.frame;
  const body = html`
<h1>${t.text("portal.admin.title")}</h1>
${signedInBar(t, view.jid, view.csrf, true, "admin")}
${view.notice ? html`<p class="success" role="status">${view.notice}</p>` : ""}
${view.alert ? html`<p class="alert" role="alert">${view.alert}</p>` : ""}
${view.requests === undefined ? "" : requestsSection(view, view.requests)}
${createSection(view)}
${invitesSection(view)}
${revokeUserSection(view)}
<h2>${t.text("portal.admin.tree")}</h2>
${view.tree.length === 0 ? html`<p class="muted">${t.text("portal.admin.tree.empty")}</p>` : html`<ul class="tree">${view.tree.map((node) => treeItem(node))}</ul>`}
${figuresSection(t, view.figures)}
`;
  return layout(view.frame, { title: t.text("portal.admin.title"), body });
}

const hidden = (csrf: string) => html`<input type="hidden" name="csrf" value="${csrf}">`;

function requestsSection(view: AdminView, requests: readonly AccountRequest[]): SafeHtml {
  const { t } = view.frame;
  if (requests.length === 0) return html`<h2>${t.text("portal.admin.requests")}</h2><p class="muted">${t.text("portal.admin.requests.empty")}</p>`;
  return html`<h2>${t.text("portal.admin.requests")}</h2>
<div class="table-wrap" tabindex="0" role="region" aria-label="${t.text("portal.admin.requests")}"><table>
<thead><tr><th scope="col">${t.text("portal.col.username")}</th><th scope="col">${t.text("portal.col.message")}</th><th scope="col">${t.text("portal.col.created")}</th><th scope="col">${t.text("portal.col.actions")}</th></tr></thead>
<tbody>${requests.map((request) => html`<tr>
<td><span class="jid">${request.username}</span></td><td>${request.message ?? ""}</td><td>${timeCell(t, request.createdAt)}</td>
<td><form method="post" action="/admin/requests/${request.id}/approve" class="inline">${hidden(view.csrf)}<button type="submit" class="small" aria-label="${t.text("portal.admin.approve")} ${request.username}">${t.text("portal.admin.approve")}</button></form>
<form method="post" action="/admin/requests/${request.id}/deny" class="inline">${hidden(view.csrf)}<button type="submit" class="secondary small" aria-label="${t.text("portal.admin.deny")} ${request.username}">${t.text("portal.admin.deny")}</button></form></td>
</tr>`)}</tbody></table></div>`;
}

function createSection(view: AdminView): SafeHtml {
  const { t } = view.frame;
  const kinds: [string, MessageKey][] = [["account", "portal.kind.account"], ["fixed", "portal.admin.create.fixed"], ["group", "portal.kind.group"], ["reset", "portal.kind.reset"]];
  return html`<h2 id="admin-create">${t.text("portal.admin.create")}</h2>
<form method="post" action="/admin/invites" aria-labelledby="admin-create">
  ${hidden(view.csrf)}
  <div><label for="create-kind">${t.text("portal.admin.create.kind")}</label>
  <select id="create-kind" name="kind">${kinds.map(([value, key]) => html`<option value="${value}">${t.text(key)}</option>`)}</select></div>
  <div><label for="create-username">${t.text("portal.admin.create.username")}</label>
  <input type="text" id="create-username" name="username" autocapitalize="none" spellcheck="false" maxlength="1023" dir="ltr"></div>
  <div><label for="create-group">${t.text("portal.admin.create.group")}</label>
  <input type="text" id="create-group" name="group" maxlength="100"></div>
  <div><label for="create-uses">${t.text("portal.admin.create.uses")}</label>
  <input type="number" id="create-uses" name="uses" min="1" max="1000" value="1" inputmode="numeric"></div>
  <div><label for="create-note">${t.text("portal.admin.create.note")}</label>
  <input type="text" id="create-note" name="note" maxlength="500"></div>
  <div><button type="submit">${t.text("portal.account.create.submit")}</button></div>
</form>`;
}

function invitesSection(view: AdminView): SafeHtml {
  const { t } = view.frame;
  const { filters } = view;
  const option = (value: string, label: string, current: string) => html`<option value="${value}"${value === current ? html` selected` : ""}>${label}</option>`;
  const kindKey = (kind: InviteKind): MessageKey => (kind === "contact+register" ? "portal.kind.contactRegister" : `portal.kind.${kind}`);
  return html`<h2 id="admin-invites">${t.text("portal.admin.invites")}</h2>
<form method="get" action="/admin" class="filters" aria-labelledby="admin-invites">
  <div><label for="filter-status">${t.text("portal.col.status")}</label>
  <select id="filter-status" name="status">${option("", t.text("portal.admin.filter.all"), filters.status)}${INVITE_STATUSES.map((status) => option(status, t.text(`portal.status.${status}`), filters.status))}</select></div>
  <div><label for="filter-kind">${t.text("portal.col.kind")}</label>
  <select id="filter-kind" name="kind">${option("", t.text("portal.admin.filter.all"), filters.kind)}${INVITE_KINDS.map((kind) => option(kind, t.text(kindKey(kind)), filters.kind))}</select></div>
  <div><label for="filter-inviter">${t.text("portal.admin.filter.inviter")}</label>
  <input type="text" id="filter-inviter" name="inviter" value="${filters.inviter}" dir="ltr" autocapitalize="none" spellcheck="false"></div>
  <div><button type="submit" class="secondary">${t.text("portal.admin.filter")}</button></div>
</form>
${view.invites.length === 0 ? html`<p class="muted">—</p>` : html`<div class="table-wrap" tabindex="0" role="region" aria-label="${t.text("portal.admin.invites")}"><table>
<thead><tr><th scope="col">${t.text("portal.col.kind")}</th><th scope="col">${t.text("portal.col.inviter")}</th><th scope="col">${t.text("portal.col.username")}</th><th scope="col">${t.text("portal.col.created")}</th><th scope="col">${t.text("portal.col.expires")}</th><th scope="col">${t.text("portal.col.uses")}</th><th scope="col">${t.text("portal.col.status")}</th><th scope="col">${t.text("portal.col.actions")}</th></tr></thead>
<tbody>${view.invites.map((invite) => html`<tr>
<td>${kindText(t, invite)}${invite.groups.length > 0 ? html` (${invite.groups.join(", ")})` : ""}</td>
<td><span class="jid">${invite.inviter ?? invite.source ?? ""}</span></td>
<td>${invite.username === null ? "" : html`<span class="jid">${invite.username}</span>`}</td>
<td>${timeCell(t, invite.createdAt)}</td><td>${timeCell(t, invite.expiresAt)}</td><td>${invite.uses}/${invite.maxUses}</td>
<td>${statusText(t, invite, view.now)}</td>
<td>${revokeButton(t, invite, view.now, `/admin/invites/${invite.id}/revoke`, view.csrf)}</td>
</tr>`)}</tbody></table></div>`}`;
}

function revokeUserSection(view: AdminView): SafeHtml {
  const { t } = view.frame;
  return html`<h2 id="admin-revoke-user">${t.text("portal.admin.revokeUser")}</h2>
<form method="post" action="/admin/users/revoke" aria-labelledby="admin-revoke-user">
  ${hidden(view.csrf)}
  <div><label for="revoke-jid">${t.text("portal.admin.revokeUser.address")}</label>
  <input type="text" id="revoke-jid" name="jid" required dir="ltr" autocapitalize="none" spellcheck="false" maxlength="3071"></div>
  <div><button type="submit" class="secondary">${t.text("portal.revoke")}</button></div>
</form>`;
}

function treeItem(node: TreeNode): SafeHtml {
  return html`<li><span class="jid">${node.jid}</span>${node.children.length > 0 ? html`<ul>${node.children.map((child) => treeItem(child))}</ul>` : ""}</li>`;
}

function figuresSection(t: Translator, figures: AdminView["figures"]): SafeHtml {
  return html`<h2>${t.text("portal.admin.figures")}</h2>
<div class="table-wrap" tabindex="0" role="region" aria-label="${t.text("portal.admin.figures")}"><table>
<thead><tr><th scope="col">${t.text("portal.admin.figure")}</th><th scope="col">${t.text("portal.admin.value")}</th></tr></thead>
<tbody>${figures.map((figure) => html`<tr><td><code>${figure.name}</code></td><td>${figure.value}</td></tr>`)}</tbody></table></div>`;
}

/** The samples of a Prometheus text exposition (histogram buckets left out: their sum and count say enough). */
export function figuresOf(exposition: string): { name: string; value: string }[] {
  return exposition.split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const at = line.lastIndexOf(" ");
      return { name: line.slice(0, at), value: line.slice(at + 1) };
    })
    .filter((figure) => !/_bucket\{/.test(figure.name));
}
