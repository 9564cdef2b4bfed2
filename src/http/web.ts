// The pages: GET /invite/{token} (landing) and GET/POST /invite/{token}/register, on the same
// registration core and error registry as XEP-0077.
import { createHmac } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AppError, type ErrorCode, isAppError } from "../errors.js";
import { type Invite, registersAccount } from "../invites/invite.js";
import { invitePath, inviteUri, registerPath } from "../invites/uri.js";
import { csrfToken, isCrossSite, isValidCsrf } from "./guards.js";
import { type SafeHtml, trusted } from "./html.js";
import { appRedeems, landingPage } from "./pages/landing.js";
import { type RegisterErrors, registerPage } from "./pages/register.js";
import { homePage, invalidPage, messagePage, successPage } from "./pages/result.js";
import { type HttpDeps, type HttpShared, route, stringField } from "./routing.js";


const USERNAME_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["username-invalid", "username-taken", "username-mismatch", "reset-username-mismatch", "account-not-found"]);
const PASSWORD_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["password-too-short", "password-contains-username", "password-invalid", "field-missing"]);

export function registerWeb(app: FastifyInstance, deps: HttpDeps, shared: HttpShared): void {
  const { config, invites, registration } = deps;
  const siteName = config.site_name ?? config.domain;
  // Derived from the component secret: stable across restarts, unknown to visitors.
  const csrfKey = createHmac("sha256", config.component.secret).update("xmpp-invites web forms").digest("hex");
  const limiter = shared.registrationLimiter;

  const page = (reply: FastifyReply, body: SafeHtml, status = 200) =>
    reply.code(status).type("text/html; charset=utf-8").header("cache-control", "no-store").send(body.value);
  const invalid = (reply: FastifyReply) => page(reply, invalidPage(siteName), 404);
  const baseUrl = (request: FastifyRequest) => config.http.public_url?.replace(/\/$/, "") ?? `${request.protocol}://${request.host}`;
  const activeInvite = async (token: string): Promise<Invite | undefined> => {
    const validation = await invites.validate(token);
    return validation.ok ? validation.invite : undefined;
  };
  const webRegistration = (invite: Invite) => registration.isAvailable && (registersAccount(invite) || invite.type === "reset");

  // The target for the XMPP server's own registration redirect (XEP-0077 §5), which carries no token.
  route(app, "/", {
    GET: (_request, reply) => reply.code(200).type("text/html; charset=utf-8").header("cache-control", "public, max-age=300").send(homePage(siteName, config.domain).value),
  });

  route(app, "/invite/:token", {
    GET: async (request, reply) => {
      const token = stringField(request.params, "token");
      const invite = await activeInvite(token);
      if (!invite) return invalid(reply);
      const uri = inviteUri(invite, token, config.domain);
      const bridge = deps.bridgeWorks();
      const pageUrl = `${baseUrl(request)}${invitePath(token)}`;
      // Loaded on the first landing page, not at start: it is ~8 MB an idle process does not need.
      const QRCode = (await import("qrcode")).default;
      const qrSvg = trusted(await QRCode.toString(pageUrl, { type: "svg", margin: 1, errorCorrectionLevel: "M" }));
      // Conversations reads this header (HTTP HEAD) when a scanned QR code holds the page's URL;
      // it is sent only when the app can redeem what it points at.
      if (appRedeems(invite, bridge)) reply.header("link", `<${uri}>; rel="alternate"`);
      return page(reply, landingPage({
        siteName,
        domain: config.domain,
        invite,
        uri,
        contactUri: invite.type === "contact" && invite.allowRegistration ? inviteUri({ ...invite, allowRegistration: false }, token, config.domain) : undefined,
        bridge,
        registerUrl: webRegistration(invite) ? registerPath(token) : undefined,
        qrSvg,
      }));
    },
  });

  route(app, "/invite/:token/register", {
    GET: async (request, reply) => {
      const token = stringField(request.params, "token");
      const invite = await activeInvite(token);
      if (!invite || !webRegistration(invite)) return invalid(reply);
      return page(reply, form(invite, token, "", {}));
    },
    POST: async (request, reply) => {
      const token = stringField(request.params, "token");
      if (!limiter.take(request.ip)) {
        deps.metrics.events.refused?.("web", "rate-limited");
        return page(reply, messagePage(siteName, "Please wait", "Too many attempts from your address; please wait a few minutes and try again."), 429);
      }
      if (isCrossSite(request.headers, request.host)) {
        deps.log.debug({ ip: request.ip, reason: "cross-site" }, "web registration refused");
        return page(reply, messagePage(siteName, "Not allowed", "This form must be sent from its own page."), 403);
      }
      const body = request.body;
      if (!isValidCsrf(csrfKey, token, stringField(body, "csrf"))) {
        deps.log.debug({ ip: request.ip, reason: "csrf" }, "web registration refused");
        return page(reply, messagePage(siteName, "Please try again", "The form has expired. Go back, reload the page and send it again."), 403);
      }
      const invite = await activeInvite(token);
      if (!invite || !webRegistration(invite)) {
        deps.log.debug({ ip: request.ip, reason: invite ? "not-registrable" : "token-invalid" }, "web registration refused");
        return invalid(reply);
      }

      const username = invite.username ?? stringField(body, "username").trim();
      const password = stringField(body, "password");
      const confirm = stringField(body, "confirm");
      const errors: { -readonly [K in keyof RegisterErrors]: RegisterErrors[K] } = {};
      if (!username) errors.username = "Enter a username.";
      if (!password) errors.password = "Enter a password.";
      else if (password !== confirm) errors.confirm = new AppError("password-mismatch").message;
      if (Object.keys(errors).length > 0) return page(reply, form(invite, token, username, errors), 422);

      try {
        const result = await registration.register({ token, username, password, door: "web" });
        return page(reply, successPage({ siteName, jid: result.jid, action: result.action, inviter: invite.inviter, webchatUrl: config.webchat_url }));
      } catch (err) {
        if (!isAppError(err)) throw err;
        if (err.code === "token-invalid" || err.code === "registration-disabled") return invalid(reply);
        return page(reply, form(invite, token, username, fieldError(err)), err.spec.http);
      }
    },
  });

  function form(invite: Invite, token: string, username: string, errors: RegisterErrors): SafeHtml {
    return registerPage({
      siteName,
      domain: config.domain,
      invite,
      action: registerPath(token),
      csrf: csrfToken(csrfKey, token),
      username,
      minLength: registration.minPasswordLength,
      errors,
    });
  }
}

function fieldError(err: AppError): RegisterErrors {
  if (USERNAME_ERRORS.has(err.code)) return { username: err.message };
  if (PASSWORD_ERRORS.has(err.code)) return { password: err.message };
  return { general: err.message };
}
