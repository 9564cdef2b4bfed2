// One registry of the errors users can see, shared by every door: the XMPP edge renders an
// entry as a stanza error (RFC 6120 §8.3), the CLI as a message and exit code, and HTTP
// as a status with a JSON body carrying the same `code`.
import { randomBytes } from "node:crypto";

export type StanzaErrorType = "auth" | "cancel" | "continue" | "modify" | "wait";
export type StanzaErrorCondition =
  | "bad-request" | "conflict" | "feature-not-implemented" | "forbidden" | "gone"
  | "internal-server-error" | "item-not-found" | "jid-malformed" | "not-acceptable"
  | "not-allowed" | "not-authorized" | "policy-violation" | "recipient-unavailable"
  | "redirect" | "registration-required" | "remote-server-not-found" | "remote-server-timeout"
  | "resource-constraint" | "service-unavailable" | "subscription-required"
  | "undefined-condition" | "unexpected-request";

export interface ErrorSpec {
  readonly type: StanzaErrorType;
  readonly condition: StanzaErrorCondition;
  readonly http: number;
  /** What the user is told; `detail` fills in the part that varies. */
  readonly text: (detail: string) => string;
}

const fixed = (text: string) => () => text;

// Texts for the registration errors are Prosody's, word for word (mod_invites_register,
// mod_register_ibr), so clients that match on them keep working.
export const ERRORS = {
  "token-invalid": { type: "cancel", condition: "forbidden", http: 404, text: fixed("The invite token is invalid or expired") },
  "invite-only": { type: "modify", condition: "not-acceptable", http: 403, text: fixed("Registration on this server is through invitation only") },
  "registration-disabled": { type: "cancel", condition: "service-unavailable", http: 403, text: fixed("Registration is not available on this service") },
  "username-taken": { type: "cancel", condition: "conflict", http: 409, text: fixed("The requested username already exists.") },
  "username-invalid": { type: "modify", condition: "not-acceptable", http: 422, text: fixed("The requested username is invalid.") },
  "username-mismatch": { type: "modify", condition: "not-acceptable", http: 422, text: fixed("The chosen username is not valid with this invitation") },
  "reset-username-mismatch": { type: "modify", condition: "not-acceptable", http: 422, text: fixed("Incorrect username for password reset") },
  "account-not-found": { type: "cancel", condition: "item-not-found", http: 404, text: fixed("The account whose password this invite resets does not exist") },
  "forbidden": { type: "auth", condition: "forbidden", http: 403, text: fixed("You don't have permission to execute this command") },
  "field-missing": { type: "modify", condition: "not-acceptable", http: 422, text: (fields) => fields },
  "password-too-short": { type: "modify", condition: "not-acceptable", http: 422, text: (min) => `Password is too short (minimum ${min} characters)` },
  "password-contains-username": { type: "modify", condition: "not-acceptable", http: 422, text: fixed("Password must not include your username") },
  "password-mismatch": { type: "modify", condition: "not-acceptable", http: 422, text: fixed("The passwords do not match") },
  "password-invalid": { type: "modify", condition: "not-acceptable", http: 422, text: (why) => why },
  "bad-request": { type: "modify", condition: "bad-request", http: 400, text: (why) => why || "The request is malformed" },
  "remove-not-allowed": { type: "cancel", condition: "not-allowed", http: 405, text: fixed("Accounts cannot be removed through this service") },
  "invite-not-found": { type: "cancel", condition: "item-not-found", http: 404, text: (id) => `No invite with id ${id}` },
  "invalid-argument": { type: "modify", condition: "bad-request", http: 422, text: (why) => why },
  "account-creation-failed": { type: "wait", condition: "internal-server-error", http: 502, text: (incident) => `The account could not be created; please try again later (incident ${incident})` },
  "password-change-failed": { type: "wait", condition: "internal-server-error", http: 502, text: (incident) => `The password could not be changed; please try again later (incident ${incident})` },
  // No answer from the server in time: the account may or may not exist yet, so the invite stays
  // reserved until the server says which (claim settlement), and the person is asked to wait.
  "server-unavailable": { type: "wait", condition: "remote-server-timeout", http: 503, text: (incident) => `The XMPP server did not answer in time, so it is not yet known whether the account was created; please try again in a few minutes (incident ${incident})` },
  "storage-unavailable": { type: "wait", condition: "resource-constraint", http: 503, text: (incident) => `The service cannot save anything right now; please try again later (incident ${incident})` },
  "unauthorized": { type: "auth", condition: "not-authorized", http: 401, text: fixed("A valid API key is needed (Authorization: Bearer …)") },
  "read-only-key": { type: "auth", condition: "forbidden", http: 403, text: fixed("This API key may only read") },
  "already-revoked": { type: "cancel", condition: "conflict", http: 409, text: (id) => `Invite ${id} is already revoked` },
  "api-key-not-found": { type: "cancel", condition: "item-not-found", http: 404, text: (id) => `No API key with id ${id}` },
  "rate-limited": { type: "wait", condition: "resource-constraint", http: 429, text: fixed("Too many attempts from your address; please wait a few minutes") },
  "claim-not-found": { type: "cancel", condition: "item-not-found", http: 404, text: fixed("No such claim: it was already settled or never made") },
  "invite-limit": { type: "wait", condition: "resource-constraint", http: 429, text: (why) => why },
  "invite-chain-limit": { type: "cancel", condition: "policy-violation", http: 403, text: (why) => why },
  "contact-invite-refused": { type: "modify", condition: "not-acceptable", http: 422, text: (why) => why },
  "request-not-found": { type: "cancel", condition: "item-not-found", http: 404, text: (id) => `No account request with id ${id}` },
  "request-decided": { type: "cancel", condition: "conflict", http: 409, text: (id) => `Account request ${id} has already been decided or has expired` },
  "request-exists": { type: "cancel", condition: "conflict", http: 409, text: fixed("Someone has already asked for this username; their request is waiting for an answer") },
  "requests-full": { type: "wait", condition: "resource-constraint", http: 503, text: fixed("Too many requests are waiting for an answer; please try again later") },
  "message-too-long": { type: "modify", condition: "not-acceptable", http: 422, text: (max) => `The message must be at most ${max} characters` },
  // XML 1.0 cannot carry it (control characters, U+FFFE, U+FFFF, lone surrogates): refused at every door.
  "invalid-characters": { type: "modify", condition: "not-acceptable", http: 400, text: (field) => `${field || "The text"}: contains characters that are not allowed (control characters, U+FFFE, U+FFFF or unpaired surrogates)` },
  "internal": { type: "wait", condition: "internal-server-error", http: 500, text: (incident) => `An unknown error has occurred (incident ${incident})` },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class AppError extends Error {
  override name = "AppError" as const;
  readonly code: ErrorCode;
  readonly spec: ErrorSpec;
  /** The part of the text that varies (a length, an incident id), for doors that word it themselves. */
  readonly detail: string;
  /** Never shown to users: logged next to the incident id. */
  override readonly cause?: unknown;

  constructor(code: ErrorCode, detail = "", cause?: unknown) {
    const spec: ErrorSpec = ERRORS[code];
    super(spec.text(detail));
    this.code = code;
    this.spec = spec;
    this.detail = detail;
    if (cause !== undefined) this.cause = cause;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** A short id that ties what a user is shown to the log line with the cause. */
export function newIncidentId(): string {
  return randomBytes(6).toString("hex");
}
