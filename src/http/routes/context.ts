// What every page route shares, built once per server: the visitor's language, the form guards
// (CSRF key, rate limits, same-origin check), the page answer and the links.
import { createHmac } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { AppError } from "../../errors.js";
import { type Invite, registersAccount } from "../../invites/domain/invite.js";
import { type ClientApp, resolveApps } from "../apps.js";
import { RateLimiter, csrfToken, isCrossSite, isValidCsrf } from "../guards.js";
import type { SafeHtml } from "../html.js";
import { errorText } from "../i18n/errors.js";
import { Texts } from "../i18n/index.js";
import { type Language, chooseLanguage, cookieValue, matchLanguage } from "../i18n/negotiate.js";
import type { PageFrame } from "../pages/layout.js";
import { invalidPage, messagePage } from "../pages/result.js";
import { type HttpDeps, type HttpShared, stringField } from "../routing.js";

const LANG_COOKIE_MAX_AGE = 365 * 24 * 3600;

export interface PageContext {
  readonly deps: HttpDeps;
  readonly domain: string;
  readonly apps: readonly ClientApp[];
  /** One limit on registration attempts per client address (shared with the API). */
  readonly registrationLimiter: RateLimiter;
  /** Whether the front page takes requests for an account. */
  readonly requestsOn: boolean;
  readonly requestLimiter: RateLimiter;
  /** The visitor's language: a fresh pick from the picker is remembered in a cookie. */
  frame(request: FastifyRequest, reply: FastifyReply): PageFrame;
  page(reply: FastifyReply, body: SafeHtml, status?: number): FastifyReply;
  invalid(reply: FastifyReply, frame: PageFrame): FastifyReply;
  /** The CSRF token of a form bound to `subject` (an invite token, a request's status token…). */
  csrf(subject: string): string;
  /** The checks every form post passes first; a page to answer with when one fails. */
  refusePost(request: FastifyRequest, reply: FastifyReply, frame: PageFrame, rate: RateLimiter, csrfSubject: string): FastifyReply | undefined;
  baseUrl(request: FastifyRequest): string;
  /** The invite behind `token` when it can still be used. */
  activeInvite(token: string): Promise<Invite | undefined>;
  /** Whether the web form can register (or reset) with this invite. */
  webRegistration(invite: Invite): boolean;
}

export function createPageContext(deps: HttpDeps, shared: HttpShared): PageContext {
  const { config } = deps;
  // Derived from the component secret: stable across restarts, unknown to visitors.
  const csrfKey = createHmac("sha256", config.component.secret).update("xmpp-invites web forms").digest("hex");
  const frame = frameOf(deps);
  const page = (reply: FastifyReply, body: SafeHtml, status = 200) =>
    reply.code(status).type("text/html; charset=utf-8").header("cache-control", "no-store").send(body.value);
  return {
    deps,
    domain: config.domain,
    apps: resolveApps(config.apps),
    registrationLimiter: shared.registrationLimiter,
    requestsOn: config.registration_requests.enabled && deps.requests !== undefined,
    requestLimiter: new RateLimiter(config.registration_requests.rate_limit.max, config.registration_requests.rate_limit.window * 1000, () => deps.clock.now()),
    frame,
    page,
    invalid: (reply, shown) => page(reply, invalidPage(shown), 404),
    csrf: (subject) => csrfToken(csrfKey, subject),
    refusePost: (request, reply, shown, rate, csrfSubject) => {
      const { t } = shown;
      if (!rate.take(request.ip)) {
        deps.metrics.events.refused?.("web", "rate-limited");
        return page(reply, messagePage(shown, t.text("page.wait"), errorText(t, new AppError("rate-limited"))), 429);
      }
      if (isCrossSite(request.headers, request.host)) return page(reply, messagePage(shown, t.text("page.notAllowed"), t.text("page.notAllowed.text")), 403);
      if (!isValidCsrf(csrfKey, csrfSubject, stringField(request.body, "csrf"))) {
        return page(reply, messagePage(shown, t.text("page.expired"), t.text("page.expired.text")), 403);
      }
      return undefined;
    },
    baseUrl: (request) => config.http.public_url?.replace(/\/$/, "") ?? `${request.protocol}://${request.host}`,
    activeInvite: async (token) => {
      const validation = await deps.invites.validate(token);
      return validation.ok ? validation.invite : undefined;
    },
    webRegistration: (invite) => deps.registration.isAvailable && (registersAccount(invite) || invite.type === "reset"),
  };
}

/** The page frame in the visitor's language, chosen by ?lang=, the cookie, Accept-Language, then the default. */
function frameOf(deps: HttpDeps): (request: FastifyRequest, reply: FastifyReply) => PageFrame {
  const { config } = deps;
  const texts = new Texts();
  const siteName = config.site_name ?? config.domain;
  const fallback: Language | undefined = matchLanguage(config.default_language);
  if (fallback === undefined) throw new Error(`default_language: no catalogue for "${config.default_language}"`);
  return (request, reply) => {
    const accept = request.headers["accept-language"];
    const choice = chooseLanguage({
      query: stringField(request.query, "lang"),
      cookie: cookieValue(request.headers.cookie, "lang"),
      acceptLanguage: typeof accept === "string" ? accept : undefined,
      fallback,
    });
    if (choice.source === "query") reply.header("set-cookie", `lang=${choice.language}; Path=/; Max-Age=${LANG_COOKIE_MAX_AGE}; SameSite=Lax`);
    reply.header("content-language", choice.language).header("vary", "Accept-Language, Cookie");
    return { t: texts.for(choice.language), siteName, termsUrl: config.terms_url, privacyUrl: config.privacy_url };
  };
}
