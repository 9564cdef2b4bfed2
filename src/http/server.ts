// The web door: landing pages, web registration, the HTTP API, health and metrics, on one
// fastify instance. Meant to sit behind a TLS reverse proxy.
import Fastify, { type FastifyInstance } from "fastify";
import { AppError, isAppError, newIncidentId } from "../errors.js";
import { isStorageFailure } from "../invites/ports/store.js";
import { registerApi } from "./api.js";
import { RateLimiter, sharedHits } from "./guards.js";
import { registerOps } from "./ops.js";
import { type HttpDeps, type HttpShared, sendApiError } from "./routing.js";
import { registerStatic } from "./static.js";
import { registerWeb } from "./web.js";

export function createHttpServer(deps: HttpDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: 16 * 1024,
    // A success page's address carries its signed note (routes/register.ts) in the path.
    routerOptions: { maxParamLength: 2048 },
    trustProxy: deps.config.http.trust_proxy,
    // fastify's own request log is off: ours (below) goes through the masking logger, since tokens travel in URLs.
    return503OnClosing: true,
  });

  app.addHook("onResponse", async (request, reply) => {
    if (!deps.log.isLevelEnabled("trace")) return;
    const ms = Math.round(reply.elapsedTime * 100) / 100;
    deps.log.trace({ method: request.method, url: request.url, status: reply.statusCode, ip: request.ip, ms }, `${request.method} ${request.url} ${reply.statusCode}`);
  });

  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  const { timing } = deps;
  if (timing) {
    const started = new WeakMap<object, number>();
    app.addHook("onRequest", async (request) => {
      started.set(request, timing.now());
    });
    app.addHook("onResponse", async (request, reply) => {
      const t0 = started.get(request);
      if (t0 !== undefined) timing.report(`http:${request.method} ${request.routeOptions.url ?? "-"}`, { handledMs: timing.now() - t0, status: reply.statusCode });
    });
  }

  app.addHook("onSend", async (_request, reply, payload) => {
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
    reply.header("x-frame-options", "DENY");
    if (String(reply.getHeader("content-type") ?? "").startsWith("text/html")) {
      reply.header("content-security-policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
    }
    return payload;
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (isAppError(error)) return sendApiError(reply, error);
    const status = error.statusCode ?? 500;
    if (status < 500) {
      const code = status === 413 ? "payload-too-large" : status === 415 ? "unsupported-media-type" : "bad-request";
      return reply.code(status).type("application/json; charset=utf-8").send({ error: { code, message: error.message } });
    }
    const incident = newIncidentId();
    if (isStorageFailure(error)) {
      deps.log.error({ incident, err: error, route: request.routeOptions.url, method: request.method }, "the database refused the request");
      return sendApiError(reply, new AppError("storage-unavailable", incident));
    }
    deps.log.error({ incident, err: error, route: request.routeOptions.url, method: request.method }, "unexpected error in HTTP handler");
    return reply.code(500).type("application/json; charset=utf-8").send({ error: { code: "internal", message: `An unknown error has occurred (incident ${incident})` } });
  });

  registerStatic(app);
  const { max, window } = deps.config.http.rate_limit;
  const shared: HttpShared = { registrationLimiter: new RateLimiter(max, window * 1000, () => deps.clock.now(), sharedHits(deps, "registration")) };
  const pageNotFound = registerWeb(app, deps, shared);
  // People get a page in their language (or a redirect without the trailing slash); programs plain text.
  app.setNotFoundHandler((request, reply) =>
    request.url.startsWith("/api/") || request.url.startsWith("/static/") ? reply.code(404).type("text/plain; charset=utf-8").send("Not Found\n") : pageNotFound(request, reply));
  registerApi(app, deps, shared);
  registerOps(app, deps);
  return app;
}

/** Splits `http.listen` ("127.0.0.1:5281", "[::1]:5281"). */
export function listenAddress(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(":");
  return { host: listen.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(listen.slice(at + 1)) };
}
