// The portal's user side: GET/POST /account/login, POST /account/logout, GET /account,
// POST /account/invites (a contact invite, as the ad-hoc command urn:xmpp:invite#invite makes it)
// and POST /account/invites/{id}/revoke. A session is a cookie holding a random id; the store keeps
// its hash. Every form is bound to the session by its CSRF token.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isAppError } from "../../errors.js";
import { invitePath } from "../../invites/domain/uri.js";
import type { PortalSignIn } from "../../invites/portal/sign-in.js";
import { fillWelcome } from "../../invites/social/notices.js";
import type { Invitation } from "../../invites/ports/store.js";
import { RateLimiter, sharedHits } from "../guards.js";
import { trusted } from "../html.js";
import { errorText } from "../i18n/errors.js";
import { cookieValue } from "../i18n/negotiate.js";
import { accountPage, createdPage, loginPage } from "../pages/account.js";
import type { PageFrame } from "../pages/layout.js";
import { route, stringField } from "../routing.js";
import type { PageContext } from "./context.js";

export const SESSION_COOKIE = "xi_portal";
/** Form posts per address to the portal per window: generous, the sign-in has its own stricter limit. */
const POST_LIMIT = { max: 120, windowMs: 10 * 60_000 };

/** A signed-in visitor: the session's id (for its CSRF token) and the user. */
export interface Visitor {
  readonly sessionId: string;
  readonly jid: string;
  readonly isAdmin: boolean;
  readonly csrf: string;
}

/** What the portal's two route files share. */
export interface Portal {
  readonly signIn: PortalSignIn;
  readonly limiter: RateLimiter;
  /** The signed-in visitor, or undefined. */
  visitor(request: FastifyRequest): Promise<Visitor | undefined>;
  /**
   * For a page that needs a session: the visitor, or undefined when the answer is sent (to the
   * sign-in page; the handler then returns `reply`: a promise cannot resolve to a thenable reply).
   */
  require(request: FastifyRequest, reply: FastifyReply): Promise<Visitor | undefined>;
  /** For a form post that needs a session: the same, and the form's checks (origin, CSRF, rate). */
  requirePost(request: FastifyRequest, reply: FastifyReply, frame: PageFrame): Promise<Visitor | undefined>;
}

export function createPortal(ctx: PageContext, signIn: PortalSignIn): Portal {
  const admins = new Set(ctx.deps.config.admins.map((jid) => jid.toLowerCase()));
  const limiter = new RateLimiter(POST_LIMIT.max, POST_LIMIT.windowMs, () => ctx.deps.clock.now(), sharedHits(ctx.deps, "portal"));
  const visitor = async (request: FastifyRequest): Promise<Visitor | undefined> => {
    const sessionId = cookieValue(request.headers.cookie, SESSION_COOKIE) ?? "";
    const session = sessionId === "" ? undefined : await signIn.session(sessionId);
    if (!session) return undefined;
    return { sessionId, jid: session.jid, isAdmin: admins.has(session.jid), csrf: ctx.csrf(`portal:${sessionId}`) };
  };
  const require = async (request: FastifyRequest, reply: FastifyReply) => {
    const found = await visitor(request);
    if (!found) reply.code(303).header("cache-control", "no-store").redirect("/account/login", 303);
    return found;
  };
  return {
    signIn,
    limiter,
    visitor,
    require,
    async requirePost(request, reply, frame) {
      const found = await visitor(request);
      // Without a session there is no token to check: the form is as stale as an expired one.
      if (ctx.refusePost(request, reply, frame, found ? `portal:${found.sessionId}` : "portal:none")) return undefined;
      if (await ctx.limited(request, reply, frame, limiter)) return undefined;
      return found ?? require(request, reply);
    },
  };
}

export function registerAccountRoutes(app: FastifyInstance, ctx: PageContext, portal: Portal): void {
  registerSignIn(app, ctx, portal);

  route(app, "/account", {
    GET: async (request, reply) => {
      const frame = ctx.frame(request, reply);
      const visitor = await portal.require(request, reply);
      if (!visitor) return reply;
      const { t } = frame;
      const query = (name: string) => stringField(request.query, name);
      const notice = query("revoked") === "1" ? t.text("portal.revoked") : undefined;
      return ctx.page(reply, await accountView(ctx, frame, visitor, notice ? { notice } : {}));
    },
  });

  route(app, "/account/invites", {
    POST: async (request, reply) => {
      const frame = ctx.frame(request, reply);
      const visitor = await portal.requirePost(request, reply, frame);
      if (!visitor) return reply;
      const { config } = ctx.deps;
      if (!config.allow_contact_invites && !visitor.isAdmin) return ctx.invalid(reply, frame);
      try {
        // The ad-hoc command's rules: admins are exempt from the limits; a user's invite registers an account only when allow_user_invites.
        const { invite, token } = await ctx.deps.invites.create({
          type: "contact",
          inviter: visitor.jid,
          allowRegistration: visitor.isAdmin || config.allow_user_invites,
          source: visitor.jid,
        }, visitor.isAdmin ? undefined : ctx.deps.limits);
        const pageUrl = `${ctx.baseUrl(request)}${invitePath(token)}`;
        const QRCode = (await import("qrcode")).default;
        const qrSvg = trusted(await QRCode.toString(pageUrl, { type: "svg", margin: 1, errorCorrectionLevel: "M" }));
        return ctx.page(reply, createdPage({ frame, invite, pageUrl, qrSvg, back: "/account" }));
      } catch (err) {
        if (!isAppError(err)) throw err;
        return ctx.page(reply, await accountView(ctx, frame, visitor, { alert: errorText(frame.t, err) }), err.spec.http);
      }
    },
  });

  route(app, "/account/invites/:id/revoke", {
    POST: async (request, reply) => {
      const frame = ctx.frame(request, reply);
      const visitor = await portal.requirePost(request, reply, frame);
      if (!visitor) return reply;
      const id = stringField(request.params, "id");
      const invite = await ctx.deps.invites.get(id).catch(() => undefined);
      // Only one's own invites; another's is as unknown as a missing one.
      if (invite?.inviter !== visitor.jid) return ctx.invalid(reply, frame);
      await revokeIgnoringRevoked(ctx, id);
      return reply.code(303).header("cache-control", "no-store").redirect("/account?revoked=1", 303);
    },
  });
}

/** Revokes; an invite revoked meanwhile is fine (the outcome the visitor asked for). */
export async function revokeIgnoringRevoked(ctx: PageContext, id: string): Promise<void> {
  try {
    await ctx.deps.invites.revoke(id);
  } catch (err) {
    if (!(isAppError(err) && err.code === "already-revoked")) throw err;
  }
}

async function accountView(ctx: PageContext, frame: PageFrame, visitor: Visitor, messages: { notice?: string; alert?: string }) {
  const { config, invites, tree } = ctx.deps;
  const mine = await invites.list({ all: true, inviter: visitor.jid, limit: 200 });
  const invitations = await tree.invitations(visitor.jid);
  const joined = new Map<string, Invitation[]>();
  for (const invitation of invitations.by) if (invitation.inviteId) joined.set(invitation.inviteId, [...(joined.get(invitation.inviteId) ?? []), invitation]);
  const welcome = config.welcome_message === undefined ? undefined
    : fillWelcome(config.welcome_message, { username: visitor.jid.split("@")[0] ?? "", siteName: frame.siteName, inviter: invitations.as?.inviter ?? frame.siteName });
  return accountPage({
    frame,
    jid: visitor.jid,
    csrf: visitor.csrf,
    isAdmin: visitor.isAdmin,
    now: ctx.deps.clock.now(),
    invites: mine,
    joined,
    invitedBy: invitations.as?.inviter,
    welcome,
    registers: visitor.isAdmin || config.allow_user_invites,
    mayInvite: config.allow_contact_invites || visitor.isAdmin,
    ...messages,
  });
}

function sessionCookie(ctx: PageContext, request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const secure = (ctx.deps.config.http.public_url ?? "").startsWith("https:") || request.protocol === "https";
  return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
}

function registerSignIn(app: FastifyInstance, ctx: PageContext, portal: Portal): void {
  const { signIn } = portal;
  const log = ctx.deps.log.child({ feature: "portal" });
  const form = (reply: FastifyReply, frame: PageFrame, username: string, messages: { alert?: string; notice?: string }, status = 200) =>
    ctx.page(reply, loginPage({ frame, domain: ctx.domain, csrf: ctx.csrf("portal-login"), username, ...messages }), status);

  route(app, "/account/login", {
    GET: async (request, reply) => {
      const frame = ctx.frame(request, reply);
      if (await portal.visitor(request)) return reply.code(303).header("cache-control", "no-store").redirect("/account", 303);
      return form(reply, frame, "", stringField(request.query, "out") === "1" ? { notice: frame.t.text("portal.signedOut") } : {});
    },
    POST: async (request, reply) => {
      const frame = ctx.frame(request, reply);
      const refused = ctx.refusePost(request, reply, frame, "portal-login");
      if (refused) return refused;
      if (await ctx.limited(request, reply, frame, portal.limiter)) return reply;
      const { t } = frame;
      const username = stringField(request.body, "username");
      // Session fixation: whatever session the browser brought ends here; success makes a new one.
      await signIn.signOut(cookieValue(request.headers.cookie, SESSION_COOKIE) ?? "");
      const result = await signIn.signIn({ username, password: stringField(request.body, "password"), address: request.ip });
      if (result.ok) {
        log.info({ jid: result.session.jid, ip: request.ip }, "signed in to the portal");
        const maxAge = Math.round((result.session.expiresAt - result.session.createdAt) / 1000);
        return reply.code(303).header("set-cookie", sessionCookie(ctx, request, result.sessionId, maxAge)).header("cache-control", "no-store").redirect("/account", 303);
      }
      // The server not answering is the operator's to fix; a wrong password is routine.
      log[result.reason === "unavailable" ? "warn" : "info"]({ username, ip: request.ip, outcome: result.reason }, "portal sign-in refused");
      if (result.reason === "limited") {
        ctx.deps.metrics.events.refused?.("web", "rate-limited");
        const seconds = Math.ceil(result.waitMs / 1000);
        reply.header("retry-after", String(seconds));
        return form(reply, frame, username, { alert: t.text("portal.login.limited", { minutes: Math.ceil(seconds / 60) }) }, 429);
      }
      if (result.reason === "unavailable") return form(reply, frame, username, { alert: t.text("portal.login.unavailable") }, 503);
      return form(reply, frame, username, { alert: t.text("portal.login.refused") }, 403);
    },
  });

  route(app, "/account/logout", {
    POST: async (request, reply) => {
      const frame = ctx.frame(request, reply);
      const visitor = await portal.requirePost(request, reply, frame);
      if (!visitor) return reply;
      await signIn.signOut(visitor.sessionId);
      return reply.code(303).header("set-cookie", sessionCookie(ctx, request, "", 0)).header("cache-control", "no-store").redirect("/account/login?out=1", 303);
    },
  });
}
