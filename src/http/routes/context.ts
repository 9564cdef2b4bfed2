// What every page route shares, built once per server: the visitor's language, the form guards
// (CSRF key, rate limits, same-origin check), the page answer and the links.
import { createHmac } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { type Invite, registersAccount } from "../../invites/domain/invite.js";
import { type ClientApp, resolveApps } from "../apps.js";
import { RateLimiter, csrfToken, isCrossSite, isValidCsrf, readNote, sharedHits, signNote } from "../guards.js";
import type { SafeHtml } from "../html.js";
import { Texts } from "../i18n/index.js";
import { type Language, chooseLanguage, cookieValue, matchLanguage } from "../i18n/negotiate.js";
import type { PageFrame } from "../pages/layout.js";
import { type Done, invalidPage, messagePage, notFoundPage } from "../pages/result.js";
import { type HttpDeps, type HttpShared, stringField } from "../routing.js";

const LANG_COOKIE_MAX_AGE = 365 * 24 * 3600;
/** How long a success page's address shows it: long enough to reload, share or switch language. */
const DONE_TTL_MS = 24 * 3600_000;

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
  /** The 404 of a page family: an unknown request link is not spoken of as an invite. */
  notFound(reply: FastifyReply, frame: PageFrame, kind: "request" | "page"): FastifyReply;
  /** The CSRF token of a form bound to `subject` (an invite token, a request's status token…). */
  csrf(subject: string): string;
  /** The checks every form post passes first (same site, CSRF); a page to answer with when one fails. */
  refusePost(request: FastifyRequest, reply: FastifyReply, frame: PageFrame, csrfSubject: string): FastifyReply | undefined;
  /**
   * Counts one attempt that is about to reach the core (a form its own checks refuse never
   * counts); over the limit, it answers the 429 page with the real wait and says true (the handler
   * then returns `reply`: a reply is thenable, so it cannot be what a promise resolves to).
   */
  limited(request: FastifyRequest, reply: FastifyReply, frame: PageFrame, rate: RateLimiter): Promise<boolean>;
  /** Where a finished form sends the visitor: a signed note of what the success page says. */
  donePath(done: Done): string;
  /** The note back, "expired", or undefined when it is not one of ours. */
  readDone(note: string): Done | "expired" | undefined;
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
    requestLimiter: new RateLimiter(config.registration_requests.rate_limit.max, config.registration_requests.rate_limit.window * 1000, () => deps.clock.now(), sharedHits(deps, "requests")),
    frame,
    page,
    invalid: (reply, shown) => page(reply, invalidPage(shown), 404),
    notFound: (reply, shown, kind) => page(reply, notFoundPage(shown, kind), 404),
    csrf: (subject) => csrfToken(csrfKey, subject),
    refusePost: (request, reply, shown, csrfSubject) => {
      const { t } = shown;
      if (isCrossSite(request.headers, request.host)) return page(reply, messagePage(shown, t.text("page.notAllowed"), t.text("page.notAllowed.text")), 403);
      if (!isValidCsrf(csrfKey, csrfSubject, stringField(request.body, "csrf"))) {
        return page(reply, messagePage(shown, t.text("page.expired"), t.text("page.expired.text")), 403);
      }
      return undefined;
    },
    limited: async (request, reply, shown, rate) => {
      const verdict = await rate.take(request.ip);
      if (verdict.ok) return false;
      deps.metrics.events.refused?.("web", "rate-limited");
      const seconds = verdict.retryAfterSeconds;
      reply.header("retry-after", String(seconds));
      const { t } = shown;
      page(reply, messagePage(shown, t.text("page.wait"), t.text("page.wait.minutes", { minutes: Math.ceil(seconds / 60) })), 429);
      return true;
    },
    donePath: (done) => `/done/${signNote(csrfKey, { j: done.jid, a: done.action, i: done.inviter, exp: deps.clock.now() + DONE_TTL_MS })}`,
    readDone: (note) => {
      const payload = readNote(csrfKey, note, deps.clock.now());
      if (payload === undefined || payload === "expired") return payload;
      const { j: jid, a: action, i: inviter } = payload;
      if (typeof jid !== "string" || (action !== "created" && action !== "password-reset") || (inviter !== null && typeof inviter !== "string")) return undefined;
      return { jid, action, inviter };
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
