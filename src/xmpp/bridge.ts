// ====================================================================
// The server bridge, urn:xmpp-invites:bridge:0 (this project's own protocol)
// A module inside the XMPP server (prosody/mod_xmpp_invites.lua, ejabberd/mod_xmpp_invites.erl) lets the server's own in-band
// registration (XEP-0077 with the XEP-0401/XEP-0445 preauth on an unauthenticated stream) redeem
// this component's invites. The server asks, from its bare domain:
//   <check token='T'/>                                  is the token good? (the preauth step)
//   <claim id='K' token='T' username='u' exists='false'><password>…</password></claim>
//        (K, optional, names the claim so the server can release it even if this answer is lost)
//        -> <claim id='C' action='create|reset'/>       policy, username, password, invite: the use is reserved
//   <consume claim='C' username='u'/>                   the server created the account (or reset the password)
//   <release claim='C' username='u'/>                   it did not
//   <subscribe token='T' inviter='romeo@example.org' jid='juliet@example.net'/>
//        -> <subscribe claim='C'/>                      XEP-0379: Juliet's subscription request to Romeo carried
//                                                       the token of Romeo's contact invite; the use is reserved
//   <consume|release claim='C' username='juliet@example.net'/>   the server approved it (or not)
// and the component asks the server, when a contact claim's consume or release never arrived:
//   IQ get <subscription inviter='romeo@example.org' jid='juliet@example.net'/>
//        -> <subscription approved='true|false'/>            whether Romeo's roster approves Juliet
// Refusals are stanza errors with the registry's triple plus <refused xmlns='urn:xmpp-invites:bridge:0'/>,
// so the module passes them on to the client as they are and treats any other error as "unreachable".
// ====================================================================
import type { Component, IqContext } from "@xmpp/component";
import type { Logger } from "pino";
import { AppError, isAppError, newIncidentId } from "../errors.js";
import type { ContactInvites } from "../invites/social/contacts.js";
import type { SubscriptionCheck } from "../invites/ports/server.js";
import type { RegistrationService } from "../invites/registration/registration-service.js";
import { parseForm, fieldValue } from "../protocol/forms.js";
import type { IqReply } from "./handlers.js";
import { NS } from "../protocol/namespaces.js";
import { stanzaErrorOf } from "../protocol/iq.js";
import { stanzaError } from "../protocol/stanza-error.js";
import { type Element, xml } from "../protocol/xml.js";

/** `bridge` in the config: "auto" trusts discovery, "prosody" expects the module, "none" has no bridge. */
export type BridgeMode = "auto" | "prosody" | "none";

/** What disco#info on the server's domain said about the bridge module. */
export type BridgeDiscovery = "unknown" | "present" | "absent" | "elsewhere";

export class BridgeState {
  readonly mode: BridgeMode;
  #discovery: BridgeDiscovery = "unknown";

  constructor(mode: BridgeMode) {
    this.mode = mode;
  }

  get discovery(): BridgeDiscovery {
    return this.#discovery;
  }

  set discovery(value: BridgeDiscovery) {
    this.#discovery = value;
  }

  /** Whether apps can redeem invites on the server directly: what the landing page leads with. */
  get works(): boolean {
    if (this.mode === "none") return false;
    // Declared: trusted until discovery proves it missing. Auto: only once discovery found it.
    return this.mode === "prosody" ? this.#discovery === "unknown" || this.#discovery === "present" : this.#discovery === "present";
  }
}

export interface BridgeOptions {
  readonly xmpp: Component;
  readonly registration: RegistrationService;
  readonly contacts: ContactInvites;
  readonly state: BridgeState;
  /** The server's domain: the only sender accepted. */
  readonly domain: string;
  readonly log: Logger;
}

export function registerBridge({ xmpp, registration, contacts, state, domain, log }: BridgeOptions): void {
  const handle = (work: (element: Element) => IqReply | Promise<IqReply>) => async (ctx: IqContext): Promise<IqReply> => {
    // Only the server itself speaks for its users here; a user's stanza always carries a localpart.
    const from = ctx.from;
    if (state.mode === "none") return stanzaError({ type: "cancel", condition: "service-unavailable" });
    if (!from || from.local !== "" || from.resource !== "" || from.domain !== domain) return refusal(new AppError("forbidden"));
    try {
      return await work(ctx.element);
    } catch (err) {
      if (isAppError(err)) return refusal(err);
      const incident = newIncidentId();
      log.error({ incident, err, payload: ctx.element.getName() }, "unexpected error in a bridge request");
      return refusal(new AppError("internal", incident));
    }
  };

  xmpp.iqCallee.set(NS.BRIDGE, "check", handle(async (element): Promise<IqReply> => {
    const token = element.attrs.token;
    if (!token) throw new AppError("token-invalid");
    await registration.checkToken(token);
    return true;
  }));

  xmpp.iqCallee.set(NS.BRIDGE, "claim", handle(async (element): Promise<IqReply> => {
    const { token, username, exists, id } = element.attrs;
    if (!username) throw new AppError("field-missing", "Username: Required value missing");
    const password = element.getChildText("password");
    if (!password) throw new AppError("field-missing", "Password: Required value missing");
    const claim = await registration.claimForServer({ claimId: id || undefined, token: token || undefined, username, password, accountExists: exists === "true" });
    return xml("claim", { xmlns: NS.BRIDGE, id: claim.claimId, action: claim.action === "password-reset" ? "reset" : "create" });
  }));

  for (const outcome of ["consume", "release"] as const) {
    xmpp.iqCallee.set(NS.BRIDGE, outcome, handle(async (element): Promise<IqReply> => {
      const { claim, username } = element.attrs;
      if (!claim || !username) throw new AppError("bad-request", "claim and username are required");
      // A contact claim names the invitee by its JID; a registration claim by a localpart.
      if (username.includes("@")) await contacts.settleServerClaim(claim, username, outcome);
      else await registration.settleServerClaim(claim, username, outcome);
      return true;
    }));
  }

  xmpp.iqCallee.set(NS.BRIDGE, "subscribe", handle(async (element): Promise<IqReply> => {
    const { token, inviter, jid } = element.attrs;
    if (!token || !inviter || !jid) throw new AppError("bad-request", "token, inviter and jid are required");
    return xml("subscribe", { xmlns: NS.BRIDGE, claim: await contacts.claimForServer(token, jid, inviter) });
  }));
}

/** A registry error with the marker that tells the module it is the invite service's answer. */
function refusal(error: AppError): Element {
  const element = stanzaError(error.spec, error.message);
  element.append(xml("refused", { xmlns: NS.BRIDGE }));
  return element;
}

/**
 * Settles lost contact claims by the server's own word: the bridge module reads the inviter's
 * roster. No answer, an error or a module without the request: "unknown", the claim stays reserved.
 */
export function bridgeSubscriptionCheck(options: {
  request: (stanza: Element, timeoutMs: number) => Promise<Element>;
  isOnline: () => boolean;
  domain: string;
  componentDomain: string;
  timeoutMs: number;
}): SubscriptionCheck {
  const { request, isOnline, domain, componentDomain, timeoutMs } = options;
  return {
    async approved(inviter, invitee) {
      if (!isOnline()) return { approved: "unknown", detail: "component not connected" };
      const question = xml("iq", { type: "get", to: domain, from: componentDomain }, xml("subscription", { xmlns: NS.BRIDGE, inviter, jid: invitee }));
      try {
        const reply = await request(question, timeoutMs);
        const answer = reply.getName() === "subscription" ? reply : reply.getChild("subscription", NS.BRIDGE);
        const approved = answer?.attrs["approved"];
        if (approved === "true" || approved === "false") return { approved: approved === "true" };
        return { approved: "unknown", detail: "the bridge gave no answer about the subscription" };
      } catch (err) {
        return { approved: "unknown", detail: stanzaErrorOf(err).condition ?? (err instanceof Error ? err.message : String(err)) };
      }
    },
  };
}

/**
 * Asks the server (disco#info on its domain) whether its bridge module is loaded and points at
 * this component: the module lists the bridge feature and a form naming its component.
 */
export async function discoverBridge(request: (stanza: Element, timeoutMs: number) => Promise<Element>, options: {
  domain: string; componentDomain: string; timeoutMs: number;
}): Promise<BridgeDiscovery> {
  const reply = await request(xml("iq", { type: "get", to: options.domain, from: options.componentDomain }, xml("query", { xmlns: NS.DISCO_INFO })), options.timeoutMs);
  const query = reply.getName() === "query" ? reply : reply.getChild("query", NS.DISCO_INFO);
  if (!query) return "absent";
  const features = query.getChildren("feature").map((feature) => feature.attrs.var);
  if (!features.includes(NS.BRIDGE)) return "absent";
  const form = query.getChildren("x", NS.DATA_FORMS).map(parseForm).find((f) => f.formType === NS.BRIDGE);
  const component = form && fieldValue(form, "component");
  return component === undefined || component.toLowerCase() === options.componentDomain.toLowerCase() ? "present" : "elsewhere";
}

/** Asks the server on every connection (it may have been reconfigured meanwhile) and says what it found. */
export function watchBridge(options: {
  xmpp: Component;
  request: (stanza: Element, timeoutMs: number) => Promise<Element>;
  state: BridgeState;
  domain: string;
  componentDomain: string;
  timeoutMs: number;
  log: Logger;
  /** Asked once more after this long when no answer came (see `ASK_AGAIN_MS` in app.ts); absent: once. */
  askAgainAfterMs?: number | undefined;
}): void {
  const { xmpp, request, state, domain, componentDomain, timeoutMs, log, askAgainAfterMs } = options;
  if (state.mode === "none") return;
  const ask = () => discoverBridge(request, { domain, componentDomain, timeoutMs });
  xmpp.on("online", () => {
    ask()
      .catch(async (err: unknown) => {
        if (askAgainAfterMs === undefined) throw err;
        await new Promise((resolve) => setTimeout(resolve, askAgainAfterMs).unref());
        return ask();
      })
      .then((found) => {
        state.discovery = found;
        reportBridge(log, state, domain);
      })
      .catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err), apps_redeem_directly: state.works }, `could not ask ${domain} whether it has the invite bridge`));
  });
}

/** One line on whether apps can redeem invite links directly, and what to do when they cannot. */
function reportBridge(log: Logger, bridge: BridgeState, domain: string): void {
  const fields = { bridge: bridge.mode, discovery: bridge.discovery, apps_redeem_directly: bridge.works };
  switch (bridge.discovery) {
    case "present":
      log.info(fields, `${domain} has the invite bridge: apps redeem invite links directly`);
      break;
    case "elsewhere":
      log.warn(fields, `${domain} has the invite bridge, but for another component: apps cannot redeem this component's invites directly; set xmpp_invites_component (Prosody) or the module's component option (ejabberd) to this component`);
      break;
    default: {
      const message = `${domain} has no invite bridge: apps cannot redeem invite links directly, so the landing page leads with registration in the browser (Prosody: load mod_xmpp_invites; ejabberd: build it with xmpp-invites ejabberd-module build and load it)`;
      if (bridge.mode === "prosody") log.error(fields, message);
      else log.info(fields, message);
    }
  }
}
