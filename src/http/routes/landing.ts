// GET /invite/{token}: the landing page a link or QR code opens.
import type { FastifyInstance } from "fastify";
import { inviteUri, invitePath, registerPath } from "../../invites/domain/uri.js";
import { phonePlatform, pointerKind } from "../apps.js";
import { trusted } from "../html.js";
import { appRedeems, landingPage } from "../pages/landing.js";
import { route, stringField } from "../routing.js";
import type { PageContext } from "./context.js";

export function registerLandingRoutes(app: FastifyInstance, ctx: PageContext): void {
  const { domain } = ctx;
  route(app, "/invite/:token", {
    GET: async (request, reply) => {
      const frame = ctx.frame(request, reply);
      const token = stringField(request.params, "token");
      const invite = await ctx.activeInvite(token);
      if (!invite) return ctx.invalid(reply, frame);
      const uri = inviteUri(invite, token, domain);
      const bridge = ctx.deps.bridgeWorks();
      const pageUrl = `${ctx.baseUrl(request)}${invitePath(token)}`;
      // Loaded on the first landing page, not at start: it is ~8 MB an idle process does not need.
      const QRCode = (await import("qrcode")).default;
      const qrSvg = trusted(await QRCode.toString(pageUrl, { type: "svg", margin: 1, errorCorrectionLevel: "M" }));
      // Conversations reads this header (HTTP HEAD) when a scanned QR code holds the page's URL;
      // it is sent only when the app can redeem what it points at.
      if (appRedeems(invite, bridge)) reply.header("link", `<${uri}>; rel="alternate"`);
      const header = request.headers["user-agent"];
      const userAgent = typeof header === "string" ? header : undefined;
      return ctx.page(reply, landingPage({
        frame,
        domain,
        invite,
        uri,
        pageUrl,
        contactUri: invite.type === "contact" && invite.allowRegistration ? inviteUri({ ...invite, allowRegistration: false }, token, domain) : undefined,
        bridge,
        registerUrl: ctx.webRegistration(invite) ? registerPath(token) : undefined,
        qrSvg,
        apps: ctx.apps,
        phone: phonePlatform(userAgent),
        pointer: pointerKind(userAgent),
      }));
    },
  });
}
