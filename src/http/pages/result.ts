// The pages a visitor ends on: success, the single "invite not valid" page, and errors.
import { type SafeHtml, html } from "../html.js";
import { layout } from "./layout.js";

export interface SuccessView {
  readonly siteName: string;
  readonly jid: string;
  readonly action: "created" | "password-reset";
  readonly inviter: string | null;
  readonly webchatUrl: string | undefined;
}

export function successPage(view: SuccessView): SafeHtml {
  const created = view.action === "created";
  const body = html`
<h1>${created ? "Your account is ready" : "Your password has been changed"}</h1>
<p class="success" role="status">${created ? "You can now log in as" : "Log in again as"} <strong class="jid">${view.jid}</strong> with the password you chose.</p>
${created && view.inviter ? html`<p>You and <span class="jid">${view.inviter}</span> are now in each other's contacts.</p>` : ""}
<h2>Next steps</h2>
<ol>
  <li>Open your XMPP app (or install one from the invitation page).</li>
  <li>Choose “I already have an account” and log in as <span class="jid">${view.jid}</span>.</li>
</ol>
<div class="actions">
  <a class="button" href="xmpp:${view.jid}">Open in your app</a>
  ${view.webchatUrl ? html`<a class="button secondary" href="${view.webchatUrl}" rel="noreferrer">Chat in the browser</a>` : ""}
</div>
`;
  return layout({ title: created ? "Account created" : "Password changed", siteName: view.siteName, body });
}

/** The same page, and the same 404, for unknown, expired, revoked and used invites. */
export function invalidPage(siteName: string): SafeHtml {
  const body = html`
<h1>This invite is not valid</h1>
<p class="lead">The link may have expired, been used already, or been withdrawn.</p>
<p>Ask the person who invited you for a new one.</p>
`;
  return layout({ title: "Invite not valid", siteName, body });
}

export function messagePage(siteName: string, title: string, message: string): SafeHtml {
  return layout({ title, siteName, body: html`<h1>${title}</h1><p class="lead">${message}</p>` });
}

/** GET /: where the XMPP server's registration redirect sends people without an invite. */
export function homePage(siteName: string, domain: string): SafeHtml {
  const body = html`
<h1>Join ${siteName}</h1>
<p class="lead">Accounts on <span class="jid">${domain}</span> are created by invitation.</p>
<p>If someone sent you an invite link, open that link: it takes you through choosing an app and creating your account.</p>
<p>No invite yet? Ask someone who already chats on ${siteName} to invite you.</p>
`;
  return layout({ title: "Join", siteName, body });
}
