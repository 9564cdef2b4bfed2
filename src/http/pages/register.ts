// GET/POST /invite/{token}/register (and an approved request's status page): the web registration
// (or password reset) form.
import { type SafeHtml, html } from "../html.js";
import type { RichChunk, Translator } from "../i18n/index.js";
import { type PageFrame, errorSummary, layout } from "./layout.js";

/**
 * Characters a username may not hold besides spaces (nodeprep's ASCII exclusions), isolated left
 * to right (U+2066…U+2069) so a right-to-left text neither reorders nor mirrors them.
 */
const EXCLUDED = "\u2066\" & ' / : < > @\u2069";

/** The username rules in words, for the hint beside the field and for the refusal. */
export function usernameRules(t: Translator): string {
  return t.text("register.username.hint", { chars: EXCLUDED });
}

export interface RegisterErrors {
  readonly username?: string;
  readonly password?: string;
  readonly confirm?: string;
  readonly consent?: string;
  readonly general?: string;
}

export interface RegisterView {
  readonly frame: PageFrame;
  readonly domain: string;
  readonly reset: boolean;
  /** The one username this form registers (fixed-username invites, resets, approved requests). */
  readonly fixedUsername: string | null;
  readonly action: string;
  readonly csrf: string;
  readonly username: string;
  readonly minLength: number;
  readonly errors: RegisterErrors;
  /** Consent is asked when the site has terms or a privacy policy (never for a reset). */
  readonly consentChecked: boolean;
  /** Shown above the form (an approved request says so). */
  readonly notice?: string | undefined;
}

export function registerPage(view: RegisterView): SafeHtml {
  const { errors, frame, reset } = view;
  const { t } = frame;
  const fixed = view.fixedUsername !== null;
  const username = view.fixedUsername ?? view.username;
  const described = (id: string, error: string | undefined, hint?: string) => {
    const ids = [hint, error ? `${id}-error` : undefined].filter(Boolean).join(" ");
    return html`${error ? html` aria-invalid="true"` : ""}${ids ? html` aria-describedby="${ids}"` : ""}`;
  };
  const errorLine = (id: string, error: string | undefined) => (error ? html`<p class="error" id="${id}-error">${error}</p>` : "");
  const asksConsent = !reset && (frame.termsUrl !== undefined || frame.privacyUrl !== undefined);

  const body = html`
<h1>${reset ? t.text("register.heading.reset") : t.text("register.heading", { site: frame.siteName })}</h1>
${view.notice ? html`<p class="success" role="status">${view.notice}</p>` : ""}
${errorSummary(t, [
    { field: "username", text: errors.username },
    { field: "password", text: errors.password },
    { field: "confirm", text: errors.confirm },
    { field: "consent", text: errors.consent },
    { text: errors.general },
  ])}
<form method="post" action="${view.action}" novalidate>
  <input type="hidden" name="csrf" value="${view.csrf}">
  <div>
    <label for="username">${t.text("register.username")}</label>
    <div class="field-row" dir="ltr">
      <input type="text" id="username" name="username" value="${username}" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="100" dir="ltr"${fixed ? html` readonly` : ""}${described("username", errors.username, fixed ? "username-domain" : "username-domain username-hint")}>
      <span class="muted" id="username-domain">@${view.domain}</span>
    </div>
    ${fixed ? "" : html`<p class="muted" id="username-hint">${usernameRules(t)}</p>`}
    ${errorLine("username", errors.username)}
  </div>
  <div>
    <label for="password">${t.text(reset ? "register.password.new" : "register.password")}</label>
    <input type="password" id="password" name="password" autocomplete="new-password" required minlength="${view.minLength}" dir="ltr"${described("password", errors.password, "password-hint")}>
    <p class="muted" id="password-hint">${t.text("register.password.hint", { min: view.minLength })}</p>
    ${errorLine("password", errors.password)}
  </div>
  <div>
    <label for="confirm">${t.text("register.confirm")}</label>
    <input type="password" id="confirm" name="confirm" autocomplete="new-password" required dir="ltr"${described("confirm", errors.confirm)}>
    ${errorLine("confirm", errors.confirm)}
  </div>
  ${asksConsent ? consentField(view) : ""}
  <div><button type="submit">${t.text(reset ? "register.submit.reset" : "register.submit")}</button></div>
</form>
`;
  return layout(frame, { title: t.text(reset ? "register.title.reset" : "register.title"), body });
}

function consentField(view: RegisterView): SafeHtml {
  const { t, termsUrl, privacyUrl } = view.frame;
  const terms = (chunks: RichChunk[]) => html`<a href="${termsUrl}">${chunks}</a>`;
  const privacy = (chunks: RichChunk[]) => html`<a href="${privacyUrl}">${chunks}</a>`;
  const text =
    termsUrl !== undefined && privacyUrl !== undefined
      ? t.rich("register.consent.both", { terms, privacy })
      : termsUrl !== undefined
        ? t.rich("register.consent.terms", { terms })
        : t.rich("register.consent.privacy", { privacy });
  const error = view.errors.consent;
  return html`<div>
    <label class="check"><input type="checkbox" id="consent" name="consent" value="yes" required${view.consentChecked ? html` checked` : ""}${error ? html` aria-invalid="true" aria-describedby="consent-error"` : ""}> <span>${text}</span></label>
    ${error ? html`<p class="error" id="consent-error">${error}</p>` : ""}
  </div>`;
}
