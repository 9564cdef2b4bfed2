// The pages: GET / (with the account request form when enabled), GET /invite/{token} (landing),
// GET/POST /invite/{token}/register, POST /request and GET/POST /request/{token}, on the same
// registration core and error registry as XEP-0077, each in the visitor's language. One file per
// page family under routes/, all given one PageContext.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { createPageContext } from "./routes/context.js";
import { createPortal, registerAccountRoutes } from "./routes/account.js";
import { registerAdminRoutes } from "./routes/admin.js";
import { registerLandingRoutes } from "./routes/landing.js";
import { registerRegisterRoutes } from "./routes/register.js";
import { registerRequestRoutes } from "./routes/requests.js";
import type { HttpDeps, HttpShared } from "./routing.js";

/** Registers the pages; returns what answers an address no page has. */
export function registerWeb(app: FastifyInstance, deps: HttpDeps, shared: HttpShared): (request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  const ctx = createPageContext(deps, shared);
  registerRequestRoutes(app, ctx);
  registerLandingRoutes(app, ctx);
  registerRegisterRoutes(app, ctx);
  // The portal (/account, /admin): on when config `portal.enabled`.
  if (deps.portal !== undefined) {
    const portal = createPortal(ctx, deps.portal);
    registerAccountRoutes(app, ctx, portal);
    registerAdminRoutes(app, ctx, portal);
  }
  return (request, reply) => {
    const canonical = withoutTrailingSlash(request.url);
    if (canonical !== undefined) return reply.redirect(canonical, request.method === "GET" || request.method === "HEAD" ? 301 : 308);
    return ctx.notFound(reply, ctx.frame(request, reply), "page");
  };
}

/**
 * `/invite/TOKEN/` → `/invite/TOKEN` (query kept): a link copied with a slash still works. Never
 * for a path that would then start with `//` (another host, to a browser).
 */
export function withoutTrailingSlash(url: string): string | undefined {
  const at = url.indexOf("?");
  const path = at === -1 ? url : url.slice(0, at);
  if (path.length <= 1 || !path.endsWith("/")) return undefined;
  const trimmed = path.replace(/\/+$/, "");
  if (trimmed === "" || trimmed.startsWith("//")) return undefined;
  return trimmed + (at === -1 ? "" : url.slice(at));
}
