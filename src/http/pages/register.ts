// GET/POST /invite/{token}/register: the web registration (or password reset) form.
import { type SafeHtml, html } from "../html.js";
import type { Invite } from "../../invites/invite.js";
import { layout } from "./layout.js";

export interface RegisterErrors {
  readonly username?: string;
  readonly password?: string;
  readonly confirm?: string;
  readonly general?: string;
}

export interface RegisterView {
  readonly siteName: string;
  readonly domain: string;
  readonly invite: Invite;
  readonly action: string;
  readonly csrf: string;
  readonly username: string;
  readonly minLength: number;
  readonly errors: RegisterErrors;
}

export function registerPage(view: RegisterView): SafeHtml {
  const { invite, errors } = view;
  const reset = invite.type === "reset";
  const fixed = invite.username !== null;
  const username = fixed ? (invite.username ?? "") : view.username;
  const described = (id: string, error: string | undefined) => (error ? html` aria-invalid="true" aria-describedby="${id}-error"` : "");
  const errorLine = (id: string, error: string | undefined) => (error ? html`<p class="error" id="${id}-error">${error}</p>` : "");

  const body = html`
<h1>${reset ? "Choose a new password" : html`Create your account on ${view.siteName}`}</h1>
${errors.general ? html`<p class="alert" role="alert">${errors.general}</p>` : ""}
<form method="post" action="${view.action}" novalidate>
  <input type="hidden" name="csrf" value="${view.csrf}">
  <div>
    <label for="username">Username</label>
    <div class="field-row">
      <input type="text" id="username" name="username" value="${username}" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="100"${fixed ? html` readonly` : ""}${described("username", errors.username)}>
      <span class="muted">@${view.domain}</span>
    </div>
    ${errorLine("username", errors.username)}
  </div>
  <div>
    <label for="password">${reset ? "New password" : "Password"}</label>
    <input type="password" id="password" name="password" autocomplete="new-password" required minlength="${view.minLength}"${described("password", errors.password)}>
    <p class="muted">At least ${view.minLength} characters, and not containing your username.</p>
    ${errorLine("password", errors.password)}
  </div>
  <div>
    <label for="confirm">Repeat the password</label>
    <input type="password" id="confirm" name="confirm" autocomplete="new-password" required${described("confirm", errors.confirm)}>
    ${errorLine("confirm", errors.confirm)}
  </div>
  <div><button type="submit">${reset ? "Change password" : "Create account"}</button></div>
</form>
`;
  return layout({ title: reset ? "Reset password" : "Create account", siteName: view.siteName, body });
}
