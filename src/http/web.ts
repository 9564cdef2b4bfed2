// The pages: GET / (with the account request form when enabled), GET /invite/{token} (landing),
// GET/POST /invite/{token}/register, POST /request and GET/POST /request/{token}, on the same
// registration core and error registry as XEP-0077, each in the visitor's language. One file per
// page family under routes/, all given one PageContext.
import type { FastifyInstance } from "fastify";
import { createPageContext } from "./routes/context.js";
import { createPortal, registerAccountRoutes } from "./routes/account.js";
import { registerAdminRoutes } from "./routes/admin.js";
import { registerLandingRoutes } from "./routes/landing.js";
import { registerRegisterRoutes } from "./routes/register.js";
import { registerRequestRoutes } from "./routes/requests.js";
import type { HttpDeps, HttpShared } from "./routing.js";

export function registerWeb(app: FastifyInstance, deps: HttpDeps, shared: HttpShared): void {
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
}
