// The web door: landing pages, web registration, the HTTP API, health and metrics, on one
// fastify instance. Meant to sit behind a TLS reverse proxy.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { type AppError, isAppError, newIncidentId } from "../errors.js";
import type { ApiKeyService } from "../invites/api-keys.js";
import type { Clock } from "../invites/clock.js";
import type { RegistrationService } from "../invites/registration.js";
import type { InviteService } from "../invites/service.js";
import type { Metrics } from "../metrics.js";
import { registerApi } from "./api.js";
import { registerOps } from "./ops.js";
import { STYLE_CSS } from "./pages/layout.js";
import { registerWeb } from "./web.js";

export interface HttpDeps {
  readonly config: Config;
  readonly invites: InviteService;
  readonly registration: RegistrationService;
  readonly apiKeys: ApiKeyService;
  readonly metrics: Metrics;
  readonly health: () => { component: boolean; database: boolean };
  /** Whether apps can redeem invite links on the server directly (its bridge module works). */
  readonly bridgeWorks: () => boolean;
  readonly clock: Clock;
  readonly log: Logger;
}

const ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
type Method = (typeof ALL_METHODS)[number];

/**
 * Registers `handlers` on `url` and answers every other method with 405 and an Allow header
 * (HEAD comes with GET).
 */
export type Handler = (request: FastifyRequest, reply: FastifyReply) => unknown;

/** A path parameter, query or body field as a string ("" when absent). */
export function stringField(source: unknown, name: string): string {
  const value = typeof source === "object" && source !== null ? (source as Record<string, unknown>)[name] : undefined;
  return typeof value === "string" ? value : "";
}

export function route(app: FastifyInstance, url: string, handlers: Partial<Record<Exclude<Method, "HEAD">, Handler>>): void {
  const allowed = Object.keys(handlers) as Method[];
  if (allowed.includes("GET")) allowed.push("HEAD");
  for (const [method, handler] of Object.entries(handlers)) app.route({ method, url, handler: (request, reply) => handler(request, reply) });
  const others = ALL_METHODS.filter((method) => !allowed.includes(method));
  app.route({
    method: others,
    url,
    handler: (_request, reply) => reply.code(405).header("allow", allowed.join(", ")).type("text/plain; charset=utf-8").send("Method Not Allowed\n"),
  });
}

/** The JSON error body every API error uses, with the registry's code. */
export function sendApiError(reply: FastifyReply, error: AppError, status = error.spec.http): FastifyReply {
  return reply.code(status).type("application/json; charset=utf-8").send({ error: { code: error.code, message: error.message } });
}

export function createHttpServer(deps: HttpDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: 16 * 1024,
    trustProxy: deps.config.http.trust_proxy,
    // No request logging at all: tokens travel in URLs (our own log lines name routes, not URLs).
    return503OnClosing: true,
  });

  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

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
    deps.log.error({ incident, err: error, route: request.routeOptions.url, method: request.method }, "unexpected error in HTTP handler");
    return reply.code(500).type("application/json; charset=utf-8").send({ error: { code: "internal", message: `An unknown error has occurred (incident ${incident})` } });
  });

  app.setNotFoundHandler((_request, reply) => reply.code(404).type("text/plain; charset=utf-8").send("Not Found\n"));

  route(app, "/static/style.css", {
    GET: (_request, reply) => reply.type("text/css; charset=utf-8").header("cache-control", "public, max-age=3600").send(STYLE_CSS),
  });
  registerWeb(app, deps);
  registerApi(app, deps);
  registerOps(app, deps);
  return app;
}

/** Splits `http.listen` ("127.0.0.1:5281", "[::1]:5281"). */
export function listenAddress(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(":");
  return { host: listen.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(listen.slice(at + 1)) };
}
