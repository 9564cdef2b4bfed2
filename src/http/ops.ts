// Operations: GET /healthz (component connected, database writable) and GET /metrics.
import type { FastifyInstance } from "fastify";
import { type HttpDeps, route } from "./routing.js";

export function registerOps(app: FastifyInstance, deps: HttpDeps): void {
  route(app, "/healthz", {
    GET: async (_request, reply) => {
      const { component, standby, serves, database } = await deps.health();
      // A standby is healthy when its adapter reaches the server without the component connection
      // (the XMPP door is served by the active instance); else 503, and a proxy that checks
      // /healthz sends the web door's traffic to the active one.
      const ok = database && (component || (standby === true && serves === true));
      return reply.code(ok ? 200 : 503).header("cache-control", "no-store").send({
        status: ok ? "ok" : standby ? "standby" : "unavailable",
        component: component ? "connected" : standby ? "standby" : "disconnected",
        database: database ? "writable" : "failing",
      });
    },
  });
  route(app, "/metrics", {
    GET: async (_request, reply) => reply.type(deps.metrics.registry.contentType).header("cache-control", "no-store").send(await deps.metrics.registry.metrics()),
  });
}
