// The stylesheet and the tab icon: real files in static/ beside this module (scripts/postbuild.mjs
// copies them into dist/), read once when the server is built.
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { route } from "./routing.js";

const file = (name: string) => readFileSync(new URL(`./static/${name}`, import.meta.url));

export function registerStatic(app: FastifyInstance): void {
  const css = file("style.css");
  const favicon = file("favicon.svg");
  route(app, "/static/style.css", {
    GET: (_request, reply) => reply.type("text/css; charset=utf-8").header("cache-control", "public, max-age=3600").send(css),
  });
  // Browsers ask for /favicon.ico whatever the page says; both names get the same small image.
  for (const url of ["/favicon.svg", "/favicon.ico"]) {
    route(app, url, {
      GET: (_request, reply) => reply.type("image/svg+xml").header("cache-control", "public, max-age=86400").send(favicon),
    });
  }
}
