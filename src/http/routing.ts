// What every route module shares: its dependencies, method routing with 405s, field access and
// the API's error body. Route modules import this; server.ts imports the route modules.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import type { AppError } from "../errors.js";
import type { AccountRequestService } from "../invites/requests/account-requests.js";
import type { ApiKeyService } from "../invites/service/api-keys.js";
import type { Clock } from "../invites/domain/clock.js";
import type { RegistrationService } from "../invites/registration/registration-service.js";
import type { PortalSignIn } from "../invites/portal/sign-in.js";
import type { InviteLimits } from "../invites/service/limits.js";
import type { InvitationTree } from "../invites/social/tree.js";
import type { InviteService } from "../invites/service/invite-service.js";
import type { Metrics } from "../metrics.js";
import type { Timing } from "../timing.js";
import type { RateLimitStore } from "../invites/ports/store.js";
import type { RateLimiter } from "./guards.js";

export interface HttpDeps {
  readonly config: Config;
  readonly invites: InviteService;
  readonly registration: RegistrationService;
  readonly apiKeys: ApiKeyService;
  readonly metrics: Metrics;
  /** standby: another instance holds the component connection (several instances, one connection per name). */
  readonly health: () => Promise<{ component: boolean; standby?: boolean; serves?: boolean; database: boolean }>;
  /** Whether apps can redeem invite links on the server directly (its bridge module works). */
  readonly bridgeWorks: () => boolean;
  /** Who invited whom, and revoking a user's invites. */
  readonly tree: InvitationTree;
  readonly clock: Clock;
  readonly log: Logger;
  /** Requests for an account (config `registration_requests`); the API lists and decides them whatever the switch. */
  readonly requests?: AccountRequestService | undefined;
  /** Opt-in: how long each request took from arrival to the response being sent, per route. */
  readonly timing?: Timing | undefined;
  /** The web portal's sign-in (config `portal`); absent when it is off. */
  readonly portal?: PortalSignIn | undefined;
  /** `invite_limits`, applied to users' invites made in the portal as to the ad-hoc command. */
  readonly limits?: InviteLimits | undefined;
  /** Rate limit counters in the database, shared by every instance on it; absent: each process counts alone. */
  readonly rateLimits?: RateLimitStore | undefined;
}

/** Built once per server and shared by the route modules. */
export interface HttpShared {
  /** One limit on registration attempts per client address, for the web form and the API alike. */
  readonly registrationLimiter: RateLimiter;
}

const ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
type Method = (typeof ALL_METHODS)[number];

export type Handler = (request: FastifyRequest, reply: FastifyReply) => unknown;

/** A path parameter, query or body field as a string ("" when absent). */
export function stringField(source: unknown, name: string): string {
  const value = typeof source === "object" && source !== null ? (source as Record<string, unknown>)[name] : undefined;
  return typeof value === "string" ? value : "";
}

/**
 * Registers `handlers` on `url` and answers every other method with 405 and an Allow header
 * (HEAD comes with GET).
 */
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
