// GET/POST /invite/{token}/register: the registration form, and the form post every page that
// registers (an invite, an approved account request) runs.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AppError, type ErrorCode, isAppError } from "../../errors.js";
import type { Invite } from "../../invites/domain/invite.js";
import { registerPath } from "../../invites/domain/uri.js";
import { normalizeUsername } from "../../invites/domain/username.js";
import { phonePlatform } from "../apps.js";
import { findNonXmlText, toXmlText } from "../../protocol/xml-text.js";
import type { SafeHtml } from "../html.js";
import { errorText } from "../i18n/errors.js";
import type { PageFrame } from "../pages/layout.js";
import { type RegisterErrors, registerPage, usernameRules } from "../pages/register.js";
import { doneExpiredPage, successPage } from "../pages/result.js";
import { route, stringField } from "../routing.js";
import type { PageContext } from "./context.js";

/** Refusals shown beside the username field; the request form shows them there too. */
export const USERNAME_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["username-invalid", "username-taken", "username-mismatch", "reset-username-mismatch", "account-not-found", "request-exists"]);
const PASSWORD_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["password-too-short", "password-contains-username", "password-invalid", "field-missing"]);

/** Where a form posts and what its CSRF token is bound to (the invite token, or a request's status token). */
export interface FormTarget {
  readonly invite: Invite;
  readonly token: string;
  readonly action: string;
  readonly csrfSubject: string;
}

export function registerRegisterRoutes(app: FastifyInstance, ctx: PageContext): void {
  route(app, "/invite/:token/register", {
    GET: async (request, reply) => {
      const frame = ctx.frame(request, reply);
      const token = stringField(request.params, "token");
      const invite = await ctx.activeInvite(token);
      if (!invite || !ctx.webRegistration(invite)) return ctx.invalid(reply, frame);
      return ctx.page(reply, registrationForm(ctx, frame, { invite, token, action: registerPath(token), csrfSubject: token }));
    },
    POST: async (request, reply) => {
      const frame = ctx.frame(request, reply);
      const token = stringField(request.params, "token");
      const refused = ctx.refusePost(request, reply, frame, token);
      if (refused) return refused;
      const invite = await ctx.activeInvite(token);
      if (!invite || !ctx.webRegistration(invite)) return ctx.invalid(reply, frame);
      return submitRegistration(ctx, request, reply, frame, { invite, token, action: registerPath(token), csrfSubject: token });
    },
  });

  // Where every finished form lands (POST, then redirect, then this GET): reloading it, sharing it
  // or switching its language shows the same page, and sends nothing again.
  route(app, "/done/:note", {
    GET: (request, reply) => {
      const frame = ctx.frame(request, reply);
      const done = ctx.readDone(stringField(request.params, "note"));
      if (done === undefined) return ctx.notFound(reply, frame, "page");
      if (done === "expired") return ctx.page(reply, doneExpiredPage(frame), 410);
      const userAgent = request.headers["user-agent"];
      return ctx.page(reply, successPage({
        frame,
        ...done,
        domain: ctx.domain,
        webchatUrl: ctx.deps.config.webchat_url,
        apps: ctx.apps,
        phone: phonePlatform(typeof userAgent === "string" ? userAgent : undefined),
      }));
    },
  });
}

/** Runs a registration from a form post: the fields checked first, then the registration core. */
export async function submitRegistration(ctx: PageContext, request: FastifyRequest, reply: FastifyReply, frame: PageFrame, target: FormTarget): Promise<FastifyReply> {
  const { deps } = ctx;
  const { t } = frame;
  const { invite } = target;
  const body = request.body;
  const username = invite.username ?? stringField(body, "username").trim();
  const password = stringField(body, "password");
  const confirm = stringField(body, "confirm");
  const consent = stringField(body, "consent") === "yes";
  const unfit = findNonXmlText({ username, password, confirm });
  if (unfit === "username" || unfit === "password" || unfit === "confirm") {
    // Refused before the invite is looked at: nothing is claimed.
    const shown = toXmlText(username).text;
    return ctx.page(reply, registrationForm(ctx, frame, target, { username: shown, consent }, { [unfit]: errorText(t, new AppError("invalid-characters", unfit)) }), 400);
  }
  const again = (status: number, errs: RegisterErrors) => ctx.page(reply, registrationForm(ctx, frame, target, { username, consent }, errs), status);
  const errors = formErrors(ctx, frame, { username, password, confirm, consent }, invite);
  if (Object.keys(errors).length > 0) return again(422, errors);
  // Only now does the attempt count: typing errors the form finds itself never lock anyone out.
  if (await ctx.limited(request, reply, frame, ctx.registrationLimiter)) return reply;

  try {
    // The consent time goes into the same transaction that records the use.
    const result = await deps.registration.register({ token: target.token, username, password, door: "web", ...(asksConsent(ctx, invite) ? { consentAt: deps.clock.now() } : {}) });
    const done = ctx.donePath({ jid: result.jid, action: result.action, inviter: result.action === "created" ? invite.inviter : null });
    return reply.code(303).header("cache-control", "no-store").redirect(done, 303);
  } catch (err) {
    if (!isAppError(err)) throw err;
    if (err.code === "token-invalid" || err.code === "registration-disabled") return ctx.invalid(reply, frame);
    return again(err.spec.http, fieldError(frame, err));
  }
}

/**
 * What the form's own checks find, every field at once, before the registration core is asked
 * (the core checks the same rules again: these only spare a round and a counted attempt).
 */
function formErrors(ctx: PageContext, frame: PageFrame, fields: { username: string; password: string; confirm: string; consent: boolean }, invite: Invite): RegisterErrors {
  const { t } = frame;
  const minLength = ctx.deps.registration.minPasswordLength;
  const errors: { -readonly [K in keyof RegisterErrors]: RegisterErrors[K] } = {};
  const name = normalizeUsername(fields.username);
  if (!fields.username) errors.username = t.text("form.username.missing");
  else if (!name.ok) errors.username = usernameInvalid(frame);
  if (!fields.password) errors.password = t.text("form.password.missing");
  else if ([...fields.password].length < minLength) errors.password = errorText(t, new AppError("password-too-short", String(minLength)));
  else if (name.ok && fields.password.toLowerCase().includes(name.username)) errors.password = errorText(t, new AppError("password-contains-username"));
  if (fields.password && fields.password !== fields.confirm) errors.confirm = errorText(t, new AppError("password-mismatch"));
  if (asksConsent(ctx, invite) && !fields.consent) errors.consent = t.text("register.consent.missing");
  return errors;
}

/** The registration form, empty unless `typed` and `errors` say otherwise. */
export function registrationForm(ctx: PageContext, frame: PageFrame, target: FormTarget, typed = { username: "", consent: false }, errors: RegisterErrors = {}, notice?: string): SafeHtml {
  return registerPage({
    frame,
    domain: ctx.domain,
    reset: target.invite.type === "reset",
    fixedUsername: target.invite.username,
    action: target.action,
    csrf: ctx.csrf(target.csrfSubject),
    username: typed.username,
    minLength: ctx.deps.registration.minPasswordLength,
    errors,
    consentChecked: typed.consent,
    notice,
  });
}

function asksConsent(ctx: PageContext, invite: Pick<Invite, "type">): boolean {
  const { config } = ctx.deps;
  return invite.type !== "reset" && (config.terms_url !== undefined || config.privacy_url !== undefined);
}

/** The refusal of a name, with the rules it broke. */
export function usernameInvalid(frame: PageFrame): string {
  return `${errorText(frame.t, new AppError("username-invalid"))} ${usernameRules(frame.t)}`;
}

function fieldError(frame: PageFrame, err: AppError): RegisterErrors {
  const text = err.code === "username-invalid" ? usernameInvalid(frame) : errorText(frame.t, err);
  if (USERNAME_ERRORS.has(err.code)) return { username: text };
  if (PASSWORD_ERRORS.has(err.code)) return { password: text };
  return { general: text };
}
