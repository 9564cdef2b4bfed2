// The pages: GET / (with the account request form when enabled), GET /invite/{token} (landing),
// GET/POST /invite/{token}/register, POST /request and GET/POST /request/{token}, on the same
// registration core and error registry as XEP-0077, each in the visitor's language.
import { createHmac } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AppError, type ErrorCode, isAppError } from "../errors.js";
import { type Invite, registersAccount } from "../invites/domain/invite.js";
import { invitePath, inviteUri, registerPath, requestPath } from "../invites/domain/uri.js";
import { phonePlatform, resolveApps } from "./apps.js";
import { RateLimiter, csrfToken, isCrossSite, isValidCsrf } from "./guards.js";
import { type SafeHtml, trusted } from "./html.js";
import { errorText } from "./i18n/errors.js";
import { Texts } from "./i18n/index.js";
import { chooseLanguage, cookieValue, matchLanguage } from "./i18n/negotiate.js";
import { appRedeems, landingPage } from "./pages/landing.js";
import type { PageFrame } from "./pages/layout.js";
import { type RegisterErrors, registerPage } from "./pages/register.js";
import { requestStatusPage } from "./pages/request.js";
import { homePage, invalidPage, messagePage, successPage } from "./pages/result.js";
import { type HttpDeps, type HttpShared, route, stringField } from "./routing.js";
import { findNonXmlText, toXmlText } from "../protocol/xml-text.js";

const USERNAME_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["username-invalid", "username-taken", "username-mismatch", "reset-username-mismatch", "account-not-found", "request-exists"]);
const PASSWORD_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["password-too-short", "password-contains-username", "password-invalid", "field-missing"]);
const LANG_COOKIE_MAX_AGE = 365 * 24 * 3600;

export function registerWeb(app: FastifyInstance, deps: HttpDeps, shared: HttpShared): void {
  const { config, invites, registration } = deps;
  const siteName = config.site_name ?? config.domain;
  // Derived from the component secret: stable across restarts, unknown to visitors.
  const csrfKey = createHmac("sha256", config.component.secret).update("xmpp-invites web forms").digest("hex");
  const limiter = shared.registrationLimiter;
  const texts = new Texts();
  const defaultLanguage = matchLanguage(config.default_language);
  if (defaultLanguage === undefined) throw new Error(`default_language: no catalogue for "${config.default_language}"`);
  const apps = resolveApps(config.apps);
  const requestsOn = config.registration_requests.enabled && deps.requests !== undefined;
  const requestLimiter = new RateLimiter(config.registration_requests.rate_limit.max, config.registration_requests.rate_limit.window * 1000, () => deps.clock.now());

  /** The visitor's language: a fresh pick from the picker is remembered in a cookie. */
  const frameOf = (request: FastifyRequest, reply: FastifyReply): PageFrame => {
    const accept = request.headers["accept-language"];
    const choice = chooseLanguage({
      query: stringField(request.query, "lang"),
      cookie: cookieValue(request.headers.cookie, "lang"),
      acceptLanguage: typeof accept === "string" ? accept : undefined,
      fallback: defaultLanguage,
    });
    if (choice.source === "query") reply.header("set-cookie", `lang=${choice.language}; Path=/; Max-Age=${LANG_COOKIE_MAX_AGE}; SameSite=Lax`);
    reply.header("content-language", choice.language).header("vary", "Accept-Language, Cookie");
    return { t: texts.for(choice.language), siteName, termsUrl: config.terms_url, privacyUrl: config.privacy_url };
  };
  const page = (reply: FastifyReply, body: SafeHtml, status = 200) =>
    reply.code(status).type("text/html; charset=utf-8").header("cache-control", "no-store").send(body.value);
  const invalid = (reply: FastifyReply, frame: PageFrame) => page(reply, invalidPage(frame), 404);
  const baseUrl = (request: FastifyRequest) => config.http.public_url?.replace(/\/$/, "") ?? `${request.protocol}://${request.host}`;
  const activeInvite = async (token: string): Promise<Invite | undefined> => {
    const validation = await invites.validate(token);
    return validation.ok ? validation.invite : undefined;
  };
  const webRegistration = (invite: Invite) => registration.isAvailable && (registersAccount(invite) || invite.type === "reset");
  const asksConsent = (invite: Pick<Invite, "type">) => invite.type !== "reset" && (config.terms_url !== undefined || config.privacy_url !== undefined);
  /** The checks every form post passes first; a page to answer with when one fails. */
  const refusePost = (request: FastifyRequest, reply: FastifyReply, frame: PageFrame, rate: RateLimiter, csrfSubject: string): FastifyReply | undefined => {
    const { t } = frame;
    if (!rate.take(request.ip)) {
      deps.metrics.events.refused?.("web", "rate-limited");
      return page(reply, messagePage(frame, t.text("page.wait"), errorText(t, new AppError("rate-limited"))), 429);
    }
    if (isCrossSite(request.headers, request.host)) return page(reply, messagePage(frame, t.text("page.notAllowed"), t.text("page.notAllowed.text")), 403);
    if (!isValidCsrf(csrfKey, csrfSubject, stringField(request.body, "csrf"))) {
      return page(reply, messagePage(frame, t.text("page.expired"), t.text("page.expired.text")), 403);
    }
    return undefined;
  };

  const requestForm = (fields: { username: string; message: string }, errors: { username?: string; message?: string; general?: string } = {}) =>
    requestsOn ? { action: "/request", csrf: csrfToken(csrfKey, "account-request"), ...fields, errors } : undefined;

  // The target for the XMPP server's own registration redirect (XEP-0077 §5), which carries no token.
  route(app, "/", {
    GET: (request, reply) => {
      const frame = frameOf(request, reply);
      return page(reply, homePage({ frame, domain: config.domain, requestForm: requestForm({ username: "", message: "" }) }));
    },
  });

  route(app, "/invite/:token", {
    GET: async (request, reply) => {
      const frame = frameOf(request, reply);
      const token = stringField(request.params, "token");
      const invite = await activeInvite(token);
      if (!invite) return invalid(reply, frame);
      const uri = inviteUri(invite, token, config.domain);
      const bridge = deps.bridgeWorks();
      const pageUrl = `${baseUrl(request)}${invitePath(token)}`;
      // Loaded on the first landing page, not at start: it is ~8 MB an idle process does not need.
      const QRCode = (await import("qrcode")).default;
      const qrSvg = trusted(await QRCode.toString(pageUrl, { type: "svg", margin: 1, errorCorrectionLevel: "M" }));
      // Conversations reads this header (HTTP HEAD) when a scanned QR code holds the page's URL;
      // it is sent only when the app can redeem what it points at.
      if (appRedeems(invite, bridge)) reply.header("link", `<${uri}>; rel="alternate"`);
      const userAgent = request.headers["user-agent"];
      return page(reply, landingPage({
        frame,
        domain: config.domain,
        invite,
        uri,
        pageUrl,
        contactUri: invite.type === "contact" && invite.allowRegistration ? inviteUri({ ...invite, allowRegistration: false }, token, config.domain) : undefined,
        bridge,
        registerUrl: webRegistration(invite) ? registerPath(token) : undefined,
        qrSvg,
        apps,
        phone: phonePlatform(typeof userAgent === "string" ? userAgent : undefined),
      }));
    },
  });

  route(app, "/invite/:token/register", {
    GET: async (request, reply) => {
      const frame = frameOf(request, reply);
      const token = stringField(request.params, "token");
      const invite = await activeInvite(token);
      if (!invite || !webRegistration(invite)) return invalid(reply, frame);
      return page(reply, form(frame, invite, token, registerPath(token), { username: "", consent: false }, {}));
    },
    POST: async (request, reply) => {
      const frame = frameOf(request, reply);
      const token = stringField(request.params, "token");
      const refused = refusePost(request, reply, frame, limiter, token);
      if (refused) return refused;
      const invite = await activeInvite(token);
      if (!invite || !webRegistration(invite)) return invalid(reply, frame);
      return submitRegistration(request, reply, frame, invite, token, registerPath(token));
    },
  });

  // Requests for an account: the form on the front page posts here; the answer is a private link.
  route(app, "/request", {
    POST: async (request, reply) => {
      const frame = frameOf(request, reply);
      if (!requestsOn || deps.requests === undefined) return invalid(reply, frame);
      const refused = refusePost(request, reply, frame, requestLimiter, "account-request");
      if (refused) return refused;
      const fields = { username: stringField(request.body, "username").trim(), message: stringField(request.body, "message") };
      const { t } = frame;
      const unfit = findNonXmlText(fields);
      if (unfit === "username" || unfit === "message") {
        const shown = { username: toXmlText(fields.username).text, message: toXmlText(fields.message).text };
        return page(reply, homePage({ frame, domain: config.domain, requestForm: requestForm(shown, { [unfit]: errorText(t, new AppError("invalid-characters", unfit)) }) }), 400);
      }
      if (!fields.username) {
        return page(reply, homePage({ frame, domain: config.domain, requestForm: requestForm(fields, { username: t.text("form.username.missing") }) }), 422);
      }
      try {
        const { statusToken } = await deps.requests.submit(fields);
        return reply.code(303).header("cache-control", "no-store").redirect(`${requestPath(statusToken)}?sent=1`, 303);
      } catch (err) {
        if (!isAppError(err)) throw err;
        const errors = USERNAME_ERRORS.has(err.code) ? { username: errorText(t, err) } : err.code === "message-too-long" ? { message: errorText(t, err) } : { general: errorText(t, err) };
        return page(reply, homePage({ frame, domain: config.domain, requestForm: requestForm(fields, errors) }), err.spec.http);
      }
    },
  });

  route(app, "/request/:token", {
    GET: async (request, reply) => {
      const frame = frameOf(request, reply);
      const token = stringField(request.params, "token");
      const view = await deps.requests?.view(token);
      if (!view) return invalid(reply, frame);
      if (view.state === "approved") {
        if (!registration.isAvailable) return invalid(reply, frame);
        return page(reply, form(frame, view.invite, token, requestPath(token), { username: "", consent: false }, {}, frame.t.text("request.approved.notice")));
      }
      return page(reply, requestStatusPage({ frame, domain: config.domain, state: view.state, request: view.request, statusUrl: `${baseUrl(request)}${requestPath(token)}`, sent: stringField(request.query, "sent") === "1" }));
    },
    POST: async (request, reply) => {
      const frame = frameOf(request, reply);
      const token = stringField(request.params, "token");
      const refused = refusePost(request, reply, frame, limiter, token);
      if (refused) return refused;
      const view = await deps.requests?.view(token);
      if (!view) return invalid(reply, frame);
      if (view.state !== "approved" || !registration.isAvailable) return reply.code(303).redirect(requestPath(token), 303);
      return submitRegistration(request, reply, frame, view.invite, view.inviteToken, requestPath(token), token);
    },
  });

  /**
   * Runs a registration from a form post. `csrfSubject` is what the form's CSRF token is bound to
   * (the invite token, or a request's status token).
   */
  async function submitRegistration(request: FastifyRequest, reply: FastifyReply, frame: PageFrame, invite: Invite, token: string, action: string, csrfSubject = token) {
    const { t } = frame;
    const body = request.body;
    const username = invite.username ?? stringField(body, "username").trim();
    const password = stringField(body, "password");
    const confirm = stringField(body, "confirm");
    const consent = stringField(body, "consent") === "yes";
    const unfit = findNonXmlText({ username, password, confirm });
    if (unfit === "username" || unfit === "password" || unfit === "confirm") {
      // Refused before the invite is looked at: nothing is claimed.
      const shown = toXmlText(username).text;
      return page(reply, form(frame, invite, csrfSubject, action, { username: shown, consent }, { [unfit]: errorText(t, new AppError("invalid-characters", unfit)) }), 400);
    }
    const errors: { -readonly [K in keyof RegisterErrors]: RegisterErrors[K] } = {};
    if (!username) errors.username = t.text("form.username.missing");
    if (!password) errors.password = t.text("form.password.missing");
    // Checked here too, so a form refused for another reason (consent) lists this at once.
    else if ([...password].length < registration.minPasswordLength) errors.password = errorText(t, new AppError("password-too-short", String(registration.minPasswordLength)));
    else if (password !== confirm) errors.confirm = errorText(t, new AppError("password-mismatch"));
    if (asksConsent(invite) && !consent) errors.consent = t.text("register.consent.missing");
    const again = (status: number, errs: RegisterErrors) => page(reply, form(frame, invite, csrfSubject, action, { username, consent }, errs), status);
    if (Object.keys(errors).length > 0) return again(422, errors);

    try {
      // The consent time goes into the same transaction that records the use.
      const result = await registration.register({ token, username, password, door: "web", ...(asksConsent(invite) ? { consentAt: deps.clock.now() } : {}) });
      return page(reply, successPage({ frame, jid: result.jid, action: result.action, inviter: invite.inviter, webchatUrl: config.webchat_url }));
    } catch (err) {
      if (!isAppError(err)) throw err;
      if (err.code === "token-invalid" || err.code === "registration-disabled") return invalid(reply, frame);
      return again(err.spec.http, fieldError(frame, err));
    }
  }

  function form(frame: PageFrame, invite: Invite, csrfSubject: string, action: string, typed: { username: string; consent: boolean }, errors: RegisterErrors, notice?: string): SafeHtml {
    return registerPage({
      frame,
      domain: config.domain,
      reset: invite.type === "reset",
      fixedUsername: invite.username,
      action,
      csrf: csrfToken(csrfKey, csrfSubject),
      username: typed.username,
      minLength: registration.minPasswordLength,
      errors,
      consentChecked: typed.consent,
      notice,
    });
  }
}


function fieldError(frame: PageFrame, err: AppError): RegisterErrors {
  const text = errorText(frame.t, err);
  if (USERNAME_ERRORS.has(err.code)) return { username: text };
  if (PASSWORD_ERRORS.has(err.code)) return { password: text };
  return { general: text };
}
