// Operations: GET /healthz (component connected, database writable) and GET /metrics.
import type { FastifyInstance } from "fastify";
import { type HttpDeps, route } from "./routing.js";

export function registerOps(app: FastifyInstance, deps: HttpDeps): void {
  route(app, "/healthz", {
    GET: async (_request, reply) => {
      const { component, database } = await deps.health();
      const ok = component && database;
      return reply.code(ok ? 200 : 503).header("cache-control", "no-store").send({
        status: ok ? "ok" : "unavailable",
        component: component ? "connected" : "disconnected",
        database: database ? "writable" : "failing",
      });
    },
  });
  route(app, "/metrics", {
    GET: async (_request, reply) => reply.type(deps.metrics.registry.contentType).header("cache-control", "no-store").send(await deps.metrics.registry.metrics()),
  });
}
