// Error texts on the web pages come from the catalogues, by the registry's code (src/errors.ts).
// XMPP keeps the registry's English texts (Prosody's, word for word); the web translates them.
import type { AppError, ErrorCode } from "../../errors.js";
import type { MessageKey, Translator } from "./index.js";

/** Every error a web page can show; each has an `error.CODE` text in every catalogue. */
export const WEB_ERROR_CODES = [
  "token-invalid", "invite-only", "registration-disabled", "username-taken", "username-invalid", "username-mismatch",
  "reset-username-mismatch", "account-not-found", "field-missing", "password-too-short", "password-contains-username",
  "password-mismatch", "password-invalid", "bad-request", "account-creation-failed", "password-change-failed",
  "rate-limited", "internal", "request-exists", "requests-full", "message-too-long", "invalid-characters",
] as const satisfies readonly ErrorCode[];

type WebErrorCode = (typeof WEB_ERROR_CODES)[number];

const isWebError = (code: ErrorCode): code is WebErrorCode => (WEB_ERROR_CODES as readonly ErrorCode[]).includes(code);

/** The error in the page's language; the values a text may use are the error's detail under every name it takes. */
export function errorText(t: Translator, error: AppError): string {
  if (!isWebError(error.code)) return error.message;
  const key: MessageKey = `error.${error.code}`;
  const number = Number(error.detail);
  return t.text(key, { min: Number.isFinite(number) ? number : 0, max: Number.isFinite(number) ? number : 0, incident: error.detail });
}
