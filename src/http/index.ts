import type { FastifyInstance } from "fastify";
import type { HttpDeps } from "./routing.js";
import { createHttpServer, listenAddress } from "./server.js";

export interface HttpServer {
  readonly fastify: FastifyInstance;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The base URL it listens on (after start), e.g. http://127.0.0.1:5281 */
  url(): string;
}

export function createHttp(deps: HttpDeps): HttpServer {
  const fastify = createHttpServer(deps);
  const { host, port } = listenAddress(deps.config.http.listen);
  let started = false;
  return {
    fastify,
    async start() {
      await fastify.listen({ host, port });
      started = true;
      deps.log.info({ url: this.url(), public_url: deps.config.http.public_url }, "web pages and API listening");
    },
    async stop() {
      if (started) await fastify.close();
      started = false;
    },
    url() {
      const address = fastify.server.address();
      if (typeof address !== "object" || address === null) return `http://${host}:${port}`;
      const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
      return `http://${shown}:${address.port}`;
    },
  };
}
