// GET /request/{token}: a requester's private status link. It says whether the request waits, was
// denied or expired; once approved it is the registration form for the requested name (web.ts).
import { type SafeHtml, html } from "../html.js";
import type { AccountRequest } from "../../invites/requests/account-requests.js";
import { jidUri } from "../../invites/domain/uri.js";
import { copyField } from "./landing.js";
import { type PageFrame, layout } from "./layout.js";

export interface RequestStatusView {
  readonly frame: PageFrame;
  readonly domain: string;
  readonly state: "pending" | "denied" | "expired" | "registered" | "lapsed";
  readonly request: AccountRequest;
  /** This page's own address, to keep. */
  readonly statusUrl: string;
  /** Just sent: say so once. */
  readonly sent: boolean;
}

export function requestStatusPage(view: RequestStatusView): SafeHtml {
  const { frame, request } = view;
  const { t } = frame;
  const jid = `${request.username}@${view.domain}`;
  const site = frame.siteName;
  let body: SafeHtml;
  switch (view.state) {
    case "pending":
      body = html`
<h1>${t.text("request.pending.heading")}</h1>
${view.sent ? html`<p class="success" role="status">${t.text("request.pending.sent")}</p>` : ""}
<p class="lead">${t.rich("request.pending.lead", { site, address: jid })}</p>
<p>${t.text("request.pending.keep")}</p>
${copyField(t, "status-link", t.text("request.pending.link"), view.statusUrl)}
<p class="muted">${t.rich("request.pending.expires", { date: html`<time datetime="${new Date(request.expiresAt).toISOString()}">${t.date(request.expiresAt)}</time>` })}</p>`;
      break;
    case "denied":
      body = html`<h1>${t.text("request.denied.heading")}</h1><p class="lead">${t.rich("request.denied.lead", { site, address: jid })}</p>`;
      break;
    case "expired":
      body = html`<h1>${t.text("request.expired.heading")}</h1><p class="lead">${t.text("request.expired.lead")}</p>
<div class="actions"><a class="button" href="/">${t.text("request.again")}</a></div>`;
      break;
    case "registered":
      body = html`<h1>${t.text("request.registered.heading")}</h1><p class="lead">${t.rich("request.registered.lead", { address: jid })}</p>
<div class="actions"><a class="button" href="${jidUri(view.domain)}">${t.text("success.open")}</a></div>`;
      break;
    case "lapsed":
      body = html`<h1>${t.text("request.lapsed.heading")}</h1><p class="lead">${t.rich("request.lapsed.lead", { address: jid })}</p>
<div class="actions"><a class="button" href="/">${t.text("request.again")}</a></div>`;
      break;
  }
  return layout(frame, { title: t.text("request.title"), body });
}
