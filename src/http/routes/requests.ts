// The front page (GET /, with the account request form when enabled), POST /request and
// GET/POST /request/{token}: a request's private status page, which turns into the registration
// form once an admin approves it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AppError, isAppError } from "../../errors.js";
import { requestPath } from "../../invites/domain/uri.js";
import { normalizeUsername } from "../../invites/domain/username.js";
import { MAX_REQUEST_MESSAGE } from "../../invites/requests/account-requests.js";
import { findNonXmlText, toXmlText } from "../../protocol/xml-text.js";
import { errorText } from "../i18n/errors.js";
import type { PageFrame } from "../pages/layout.js";
import { requestStatusPage } from "../pages/request.js";
import { homePage } from "../pages/result.js";
import { route, stringField } from "../routing.js";
import type { PageContext } from "./context.js";
import { USERNAME_ERRORS, registrationForm, submitRegistration, usernameInvalid } from "./register.js";

type RequestFields = { username: string; message: string };
type RequestErrors = { username?: string; message?: string; general?: string };

export function registerRequestRoutes(app: FastifyInstance, ctx: PageContext): void {
  /** The front page, with the request form (when requests are on) as typed and refused. */
  const home = (reply: FastifyReply, frame: PageFrame, fields: RequestFields = { username: "", message: "" }, errors: RequestErrors = {}, status = 200) =>
    ctx.page(reply, homePage({
      frame,
      domain: ctx.domain,
      portal: ctx.deps.portal !== undefined,
      requestForm: ctx.requestsOn ? { action: "/request", csrf: ctx.csrf("account-request"), ...fields, errors } : undefined,
    }), status);

  // The target for the XMPP server's own registration redirect (XEP-0077 §5), which carries no token.
  route(app, "/", {
    GET: (request, reply) => home(reply, ctx.frame(request, reply)),
  });

  // Requests for an account: the form on the front page posts here; the answer is a private link.
  route(app, "/request", {
    POST: async (request, reply) => {
      const frame = ctx.frame(request, reply);
      if (!ctx.requestsOn) return ctx.invalid(reply, frame);
      const refused = ctx.refusePost(request, reply, frame, "account-request");
      if (refused) return refused;
      return submitRequest(ctx, request, reply, frame, (fields, errors, status) => home(reply, frame, fields, errors, status));
    },
  });

  route(app, "/request/:token", {
    GET: async (request, reply) => {
      const frame = ctx.frame(request, reply);
      const token = stringField(request.params, "token");
      const view = await ctx.deps.requests?.view(token);
      if (!view) return ctx.notFound(reply, frame, "request");
      if (view.state === "approved") {
        if (!ctx.deps.registration.isAvailable) return ctx.invalid(reply, frame);
        const target = { invite: view.invite, token, action: requestPath(token), csrfSubject: token };
        return ctx.page(reply, registrationForm(ctx, frame, target, undefined, {}, frame.t.text("request.approved.notice")));
      }
      return ctx.page(reply, requestStatusPage({ frame, domain: ctx.domain, state: view.state, request: view.request, statusUrl: `${ctx.baseUrl(request)}${requestPath(token)}`, sent: stringField(request.query, "sent") === "1" }));
    },
    POST: async (request, reply) => {
      const frame = ctx.frame(request, reply);
      const token = stringField(request.params, "token");
      const refused = ctx.refusePost(request, reply, frame, token);
      if (refused) return refused;
      const view = await ctx.deps.requests?.view(token);
      if (!view) return ctx.notFound(reply, frame, "request");
      if (view.state !== "approved" || !ctx.deps.registration.isAvailable) return reply.code(303).redirect(requestPath(token), 303);
      return submitRegistration(ctx, request, reply, frame, { invite: view.invite, token: view.inviteToken, action: requestPath(token), csrfSubject: token });
    },
  });
}

/** Files a request from the front page's form; refusals go back to the form via `again`. */
async function submitRequest(ctx: PageContext, request: FastifyRequest, reply: FastifyReply, frame: PageFrame, again: (fields: RequestFields, errors: RequestErrors, status: number) => FastifyReply): Promise<FastifyReply> {
  const requests = ctx.deps.requests;
  if (requests === undefined) return ctx.invalid(reply, frame);
  const { t } = frame;
  const fields = { username: stringField(request.body, "username").trim(), message: stringField(request.body, "message") };
  const unfit = findNonXmlText(fields);
  if (unfit === "username" || unfit === "message") {
    const shown = { username: toXmlText(fields.username).text, message: toXmlText(fields.message).text };
    return again(shown, { [unfit]: errorText(t, new AppError("invalid-characters", unfit)) }, 400);
  }
  const errors = requestFormErrors(frame, fields);
  if (Object.keys(errors).length > 0) return again(fields, errors, 422);
  // Only a request the form itself accepts counts against the limit.
  if (await ctx.limited(request, reply, frame, ctx.requestLimiter)) return reply;
  try {
    const { statusToken } = await requests.submit(fields);
    return reply.code(303).header("cache-control", "no-store").redirect(`${requestPath(statusToken)}?sent=1`, 303);
  } catch (err) {
    if (!isAppError(err)) throw err;
    const errors = err.code === "username-invalid" ? { username: usernameInvalid(frame) } : USERNAME_ERRORS.has(err.code) ? { username: errorText(t, err) } : err.code === "message-too-long" ? { message: errorText(t, err) } : { general: errorText(t, err) };
    return again(fields, errors, err.spec.http);
  }
}

/** The request form's own checks, every field at once (the core checks them again). */
function requestFormErrors(frame: PageFrame, fields: RequestFields): RequestErrors {
  const { t } = frame;
  const errors: { -readonly [K in keyof RequestErrors]: RequestErrors[K] } = {};
  if (!fields.username) errors.username = t.text("form.username.missing");
  else if (!normalizeUsername(fields.username).ok) errors.username = usernameInvalid(frame);
  if ([...fields.message.trim()].length > MAX_REQUEST_MESSAGE) errors.message = errorText(t, new AppError("message-too-long", String(MAX_REQUEST_MESSAGE)));
  return errors;
}
