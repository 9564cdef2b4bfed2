// The HTTP API, /api/v1: invites in and out as JSON, API keys as Bearer tokens, errors with the
// registry's codes. POST /api/v1/registrations is the registration core's third door.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { AppError } from "../errors.js";
import { requestJson } from "../invites/requests/account-requests.js";
import type { ApiKey } from "../invites/service/api-keys.js";
import { INVITE_TYPES } from "../invites/domain/invite.js";
import { inviteJson, treeJson } from "../invites/service/json.js";
import { inviteRequest } from "../invites/service/request.js";
import { landingUrl } from "../invites/domain/uri.js";
import { findNonXmlText } from "../protocol/xml-text.js";
import { openApiDocument } from "./openapi.js";
import type { RateLimiter } from "./guards.js";
import { type HttpDeps, type HttpShared, route, sendApiError, stringField } from "./routing.js";

const createBody = z.strictObject({
  type: z.enum(INVITE_TYPES).default("account"),
  username: z.string().max(1023).optional(),
  inviter: z.string().max(3071).optional(),
  allow_registration: z.boolean().optional(),
  groups: z.array(z.string()).max(20).optional(),
  expires: z.union([z.number(), z.string()]).optional(),
  uses: z.number().int().optional(),
  note: z.string().max(1000).optional(),
});

const registerBody = z.strictObject({
  token: z.string().max(128),
  username: z.string().max(1023),
  password: z.string().max(4096),
});

export function registerApi(app: FastifyInstance, deps: HttpDeps, shared: HttpShared): void {
  const api = apiContext(deps);
  refuseNonXmlText(app, deps);
  registerInviteRoutes(app, api);
  registerRequestRoutes(app, api);
  registerRegistrationRoute(app, api, shared.registrationLimiter);
  route(app, "/api/v1/openapi.json", {
    GET: (_request, reply) => reply.send(openApiDocument(deps.config.http.public_url)),
  });
}

/** What every API route shares: its dependencies, the clock, the key check and the 422 body. */
interface ApiContext {
  readonly deps: HttpDeps;
  now(): number;
  /** Authenticates the request; read-only keys may only GET. Undefined: refused, the reply is sent. */
  authorize(request: FastifyRequest, reply: FastifyReply, write: boolean): Promise<ApiKey | undefined>;
  invalidBody(reply: FastifyReply, error: z.ZodError): FastifyReply;
}

function apiContext(deps: HttpDeps): ApiContext {
  return {
    deps,
    now: () => deps.clock.now(),
    authorize: async (request, reply, write) => {
      const header = request.headers.authorization ?? "";
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      const key = match ? await deps.apiKeys.verify(match[1] ?? "") : undefined;
      if (!key) {
        deps.log.debug({ method: request.method, route: request.routeOptions.url, ip: request.ip, reason: match ? "unknown-or-wrong-key" : "no-bearer-token" }, "API request refused: unauthorized");
        reply.header("www-authenticate", 'Bearer realm="xmpp-invites"');
        sendApiError(reply, new AppError("unauthorized"));
        return undefined;
      }
      if (write && key.readOnly) {
        deps.log.debug({ method: request.method, route: request.routeOptions.url, key: key.id }, "API request refused: read-only key");
        sendApiError(reply, new AppError("read-only-key"));
        return undefined;
      }
      return key;
    },
    invalidBody: (reply, error) =>
      reply.code(422).send({ error: { code: "invalid-argument", message: error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ") } }),
  };
}

/**
 * Every string of a request (body, query, path) is text that may reach a stanza: what XML cannot
 * carry is refused here, before any route looks at it (and so before anything is reserved).
 */
function refuseNonXmlText(app: FastifyInstance, deps: HttpDeps): void {
  app.addHook("preValidation", async (request, reply) => {
    if (!request.url.startsWith("/api/")) return undefined;
    const field = findNonXmlText(request.body ?? {}) ?? findNonXmlText(request.query ?? {}, "query") ?? findNonXmlText(request.params ?? {}, "path");
    if (field === undefined) return undefined;
    deps.log.debug({ method: request.method, route: request.routeOptions.url, field }, "API request refused: characters XML cannot carry");
    return sendApiError(reply, new AppError("invalid-characters", field));
  });
}

const listLimit = (request: FastifyRequest) => Math.min(1000, Math.max(1, Number(stringField(request.query, "limit") || 100) || 100));

/** Invites: list, create, revoke (one, or every pending one of a user), and who invited whom. */
function registerInviteRoutes(app: FastifyInstance, api: ApiContext): void {
  const { deps, authorize, now } = api;
  const { invites } = deps;
  route(app, "/api/v1/invites", {
    GET: async (request, reply) => {
      if (!(await authorize(request, reply, false))) return reply;
      const list = await invites.list({ all: stringField(request.query, "all") === "true", limit: listLimit(request) });
      return reply.send({ invites: list.map((invite) => inviteJson(invite, now())) });
    },
    POST: async (request, reply) => {
      const key = await authorize(request, reply, true);
      if (!key) return reply;
      const parsed = createBody.safeParse(request.body ?? {});
      if (!parsed.success) return api.invalidBody(reply, parsed.error);
      const { invite, token, uri } = await invites.create(createRequest(parsed.data, key));
      return reply.code(201).header("location", `/api/v1/invites/${invite.id}`)
        .send({ ...inviteJson(invite, now()), token, uri, landing_url: landingUrl(deps.config.http.public_url, token) ?? null });
    },
    // Every invite of one user that could still be used, at once (e.g. an account found spamming).
    DELETE: async (request, reply) => {
      if (!(await authorize(request, reply, true))) return reply;
      const user = stringField(request.query, "user").trim();
      if (user === "") throw new AppError("invalid-argument", "user: the account whose pending invites are to be revoked");
      const revoked = await deps.tree.revokePending(user);
      return reply.send({ user, revoked: revoked.map((invite) => inviteJson(invite, now())) });
    },
  });
  route(app, "/api/v1/tree", {
    GET: async (request, reply) => {
      if (!(await authorize(request, reply, false))) return reply;
      const root = stringField(request.query, "jid").trim();
      return reply.send({ tree: treeJson(await deps.tree.tree(root === "" ? undefined : root)) });
    },
  });
  route(app, "/api/v1/invites/:id", {
    GET: async (request, reply) => {
      if (!(await authorize(request, reply, false))) return reply;
      return reply.send(inviteJson(await invites.get(stringField(request.params, "id")), now()));
    },
    DELETE: async (request, reply) => {
      if (!(await authorize(request, reply, true))) return reply;
      return reply.send(inviteJson(await invites.revoke(stringField(request.params, "id")), now()));
    },
  });
}

function createRequest(body: z.infer<typeof createBody>, key: ApiKey) {
  return inviteRequest({
    type: body.type,
    username: body.username,
    inviter: body.inviter,
    allowRegistration: body.allow_registration,
    groups: body.groups,
    expires: body.expires,
    uses: body.uses,
    note: body.note,
    source: `api:${key.id}`,
  }, (field, message) => {
    throw new AppError("invalid-argument", `${field}: ${message}`);
  });
}

/** Requests for an account: list them and decide. The requester's side is the web form alone. */
function registerRequestRoutes(app: FastifyInstance, api: ApiContext): void {
  const { deps, authorize } = api;
  const requests = () => {
    if (deps.requests === undefined) throw new AppError("request-not-found", "");
    return deps.requests;
  };
  route(app, "/api/v1/requests", {
    GET: async (request, reply) => {
      if (!(await authorize(request, reply, false))) return reply;
      const list = await requests().overview({ all: stringField(request.query, "all") === "true", limit: listLimit(request) });
      return reply.send({ requests: list.map(requestJson) });
    },
  });
  route(app, "/api/v1/requests/:id", {
    GET: async (request, reply) => {
      if (!(await authorize(request, reply, false))) return reply;
      return reply.send(requestJson(await requests().describe(await requests().get(stringField(request.params, "id")))));
    },
  });
  for (const decision of ["approve", "deny"] as const) {
    route(app, `/api/v1/requests/:id/${decision}`, {
      POST: async (request, reply) => {
        const key = await authorize(request, reply, true);
        if (!key) return reply;
        const id = stringField(request.params, "id");
        const decided = decision === "approve" ? await requests().approve(id, `api:${key.id}`) : await requests().deny(id, `api:${key.id}`);
        return reply.send(requestJson(await requests().describe(decided)));
      },
    });
  }
}

/** The registration core's third door. Unauthenticated: the invite token is the credential, as on the web form. */
function registerRegistrationRoute(app: FastifyInstance, api: ApiContext, limiter: RateLimiter): void {
  const { deps } = api;
  route(app, "/api/v1/registrations", {
    POST: async (request, reply) => {
      const parsed = registerBody.safeParse(request.body ?? {});
      if (!parsed.success) return api.invalidBody(reply, parsed.error);
      // Only attempts that reach the registration core count: a malformed body is not a guess.
      const verdict = await limiter.take(request.ip);
      if (!verdict.ok) {
        deps.metrics.events.refused?.("api", "rate-limited");
        reply.header("retry-after", String(verdict.retryAfterSeconds));
        throw new AppError("rate-limited");
      }
      const result = await deps.registration.register({ ...parsed.data, door: "api" });
      return reply.code(result.action === "created" ? 201 : 200).send({ jid: result.jid, action: result.action });
    },
  });
}
