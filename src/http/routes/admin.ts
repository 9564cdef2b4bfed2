// The portal's admin side (config `admins`): GET /admin, POST /admin/requests/{id}/approve|deny
// (the same core and "already decided" rule as the ad-hoc commands and the API),
// POST /admin/invites (account, fixed-username, group and reset invites), POST
// /admin/invites/{id}/revoke and POST /admin/users/revoke (a user's pending invites).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AppError, isAppError } from "../../errors.js";
import { INVITE_KINDS, type Invite, inviteKind, inviteStatus } from "../../invites/domain/invite.js";
import { invitePath } from "../../invites/domain/uri.js";
import { inviteRequest } from "../../invites/service/request.js";
import { trusted } from "../html.js";
import { errorText } from "../i18n/errors.js";
import { createdPage } from "../pages/account.js";
import { type AdminFilters, INVITE_STATUSES, adminPage, figuresOf } from "../pages/admin.js";
import type { PageFrame } from "../pages/layout.js";
import { route, stringField } from "../routing.js";
import { type Portal, type Visitor, revokeIgnoringRevoked } from "./account.js";
import type { PageContext } from "./context.js";

const LIST_LIMIT = 500;

type Messages = { notice?: string; alert?: string };

/** The admin signed in, or undefined when the answer is sent: to sign in, or 404 for a user who is not an admin. */
async function adminOf(ctx: PageContext, portal: Portal, request: FastifyRequest, reply: FastifyReply, frame: PageFrame, post: boolean): Promise<Visitor | undefined> {
  const visitor = post ? await portal.requirePost(request, reply, frame) : await portal.require(request, reply);
  if (visitor?.isAdmin) return visitor;
  if (visitor) ctx.invalid(reply, frame);
  return undefined;
}
const seeOther = (reply: FastifyReply, to: string) => reply.code(303).header("cache-control", "no-store").redirect(to, 303);

function filtersOf(query: unknown): AdminFilters {
  const status = stringField(query, "status");
  const kind = stringField(query, "kind");
  return {
    status: (INVITE_STATUSES as readonly string[]).includes(status) ? (status as AdminFilters["status"]) : "",
    kind: (INVITE_KINDS as readonly string[]).includes(kind) ? (kind as AdminFilters["kind"]) : "",
    inviter: stringField(query, "inviter").trim().toLowerCase(),
  };
}

async function renderAdmin(ctx: PageContext, reply: FastifyReply, frame: PageFrame, visitor: Visitor, filters: AdminFilters, messages: Messages, status = 200) {
  const { deps } = ctx;
  const now = deps.clock.now();
  const matches = (invite: Invite) => (filters.status === "" || inviteStatus(invite, now) === filters.status)
    && (filters.kind === "" || inviteKind(invite) === filters.kind)
    && (filters.inviter === "" || invite.inviter === filters.inviter || (invite.source ?? "").toLowerCase().startsWith(filters.inviter));
  const invites = (await deps.invites.list({ all: true, limit: LIST_LIMIT })).filter(matches);
  return ctx.page(reply, adminPage({
    frame,
    jid: visitor.jid,
    csrf: visitor.csrf,
    now,
    requests: ctx.requestsOn ? await deps.requests?.list() : undefined,
    invites,
    filters,
    tree: await deps.tree.tree(),
    figures: figuresOf(await deps.metrics.registry.metrics()),
    ...messages,
  }), status);
}

export function registerAdminRoutes(app: FastifyInstance, ctx: PageContext, portal: Portal): void {
  route(app, "/admin", {
    GET: async (request, reply) => {
      const frame = ctx.frame(request, reply);
      const admin = await adminOf(ctx, portal, request, reply, frame, false);
      if (!admin) return reply;
      const { t } = frame;
      const query = (name: string) => stringField(request.query, name);
      const notice = query("approved") ? t.text("portal.admin.approved", { username: query("approved") })
        : query("denied") ? t.text("portal.admin.denied", { username: query("denied") })
          : query("revoked") === "1" ? t.text("portal.revoked")
            : /^\d+$/.test(query("revokedCount")) ? t.text("portal.admin.revokeUser.done", { count: Number(query("revokedCount")) }) : undefined;
      return renderAdmin(ctx, reply, frame, admin, filtersOf(request.query), notice ? { notice } : {});
    },
  });

  for (const decision of ["approve", "deny"] as const) {
    route(app, `/admin/requests/:id/${decision}`, {
      POST: async (request, reply) => {
        const frame = ctx.frame(request, reply);
        const admin = await adminOf(ctx, portal, request, reply, frame, true);
        if (!admin) return reply;
        const requests = ctx.deps.requests;
        if (requests === undefined || !ctx.requestsOn) return ctx.invalid(reply, frame);
        const id = stringField(request.params, "id");
        try {
          const decided = decision === "approve" ? await requests.approve(id, admin.jid) : await requests.deny(id, admin.jid);
          return seeOther(reply, `/admin?${decision === "approve" ? "approved" : "denied"}=${encodeURIComponent(decided.username)}`);
        } catch (err) {
          if (isAppError(err) && err.code === "request-decided") return renderAdmin(ctx, reply, frame, admin, filtersOf({}), { alert: frame.t.text("portal.admin.decided") }, 409);
          if (isAppError(err) && err.code === "request-not-found") return ctx.invalid(reply, frame);
          throw err;
        }
      },
    });
  }

  registerAdminInviteRoutes(app, ctx, portal);
}

function registerAdminInviteRoutes(app: FastifyInstance, ctx: PageContext, portal: Portal): void {
  route(app, "/admin/invites", {
    POST: async (request, reply) => {
      const frame = ctx.frame(request, reply);
      const admin = await adminOf(ctx, portal, request, reply, frame, true);
      if (!admin) return reply;
      try {
        const { invite, token } = await ctx.deps.invites.create(adminInvite(request.body, admin.jid));
        const pageUrl = `${ctx.baseUrl(request)}${invitePath(token)}`;
        const QRCode = (await import("qrcode")).default;
        const qrSvg = trusted(await QRCode.toString(pageUrl, { type: "svg", margin: 1, errorCorrectionLevel: "M" }));
        return ctx.page(reply, createdPage({ frame, invite, pageUrl, qrSvg, back: "/admin" }));
      } catch (err) {
        if (!isAppError(err)) throw err;
        return renderAdmin(ctx, reply, frame, admin, filtersOf({}), { alert: frame.t.text("portal.admin.refused", { reason: errorText(frame.t, err) }) }, err.spec.http);
      }
    },
  });

  route(app, "/admin/invites/:id/revoke", {
    POST: async (request, reply) => {
      const frame = ctx.frame(request, reply);
      const admin = await adminOf(ctx, portal, request, reply, frame, true);
      if (!admin) return reply;
      const id = stringField(request.params, "id");
      if (!(await ctx.deps.invites.get(id).catch(() => undefined))) return ctx.invalid(reply, frame);
      await revokeIgnoringRevoked(ctx, id);
      return seeOther(reply, "/admin?revoked=1");
    },
  });

  route(app, "/admin/users/revoke", {
    POST: async (request, reply) => {
      const frame = ctx.frame(request, reply);
      const admin = await adminOf(ctx, portal, request, reply, frame, true);
      if (!admin) return reply;
      const jid = stringField(request.body, "jid").trim();
      if (jid === "") return renderAdmin(ctx, reply, frame, admin, filtersOf({}), { alert: frame.t.text("form.username.missing") }, 422);
      const revoked = await ctx.deps.tree.revokePending(jid);
      return seeOther(reply, `/admin?revokedCount=${revoked.length}`);
    },
  });
}

/** The admin form's fields as the core's request, with the CLI's and the API's rules. */
function adminInvite(body: unknown, admin: string) {
  const kind = stringField(body, "kind");
  const username = stringField(body, "username").trim() || undefined;
  const group = stringField(body, "group").trim();
  const fail = (field: string, message: string): never => {
    throw new AppError("invalid-argument", `${field}: ${message}`);
  };
  if (!["account", "fixed", "group", "reset"].includes(kind)) fail("kind", `"${kind}" is not a kind of invite`);
  if (kind === "fixed" && username === undefined) fail("username", "a fixed-username invite needs the username");
  if (kind === "group" && group === "") fail("group", "a group invite needs the group");
  return inviteRequest({
    type: kind === "reset" ? "reset" : "account",
    username: kind === "fixed" || kind === "reset" ? username : undefined,
    groups: kind === "group" ? [group] : undefined,
    uses: stringField(body, "uses").trim() || undefined,
    note: stringField(body, "note").trim() || undefined,
    source: admin,
  }, fail);
}
