// ====================================================================
// XEP-0077: In-Band Registration, at the component's JID (§2: registration with a service)
// Source: https://xmpp.org/extensions/xep-0077.html (v2.4)
// The invite token comes from a preceding preauth IQ (XEP-0401 0.3.0 / XEP-0445), a <preauth/>
// child of the query, or a `token` field of the data form.
// ====================================================================
import type { Component, IqContext } from "@xmpp/component";
import type { Logger } from "pino";
import { AppError } from "../errors.js";
import type { RegistrationService } from "../invites/registration/registration-service.js";
import { buildForm, fieldValue, parseForm } from "../protocol/forms.js";
import { guarded } from "./handlers.js";
import { NS } from "../protocol/namespaces.js";
import type { PreauthSessions } from "./xep0401-preauth.js";
import { type Element, xml } from "../protocol/xml.js";
import { localpartOf } from "../protocol/jid.js";
import { checkXmlText } from "../protocol/xml-text.js";

export interface RegisterOptions {
  readonly xmpp: Component;
  readonly registration: RegistrationService;
  readonly sessions: PreauthSessions;
  readonly log: Logger;
  readonly domain: string;
}

interface Submission {
  readonly username: string | null;
  readonly password: string | null;
  readonly token: string | undefined;
}

const INSTRUCTIONS = "Choose a username and password for use with this service.";
const INVITE_INSTRUCTIONS = `${INSTRUCTIONS} Registration needs an invite: send its token first (urn:xmpp:pars:0), or enter it in the form.`;

export function registerIbr({ xmpp, registration, sessions, log, domain }: RegisterOptions): void {
  // Built once: the form never changes while the process runs.
  const form = registrationForm(registration.mode === "invite-only", domain);
  xmpp.iqCallee.get(NS.REGISTER, "query", guarded(log, async (ctx) => {
    if (!registration.isAvailable) throw new AppError("registration-disabled");
    // §3.1: an entity that already registered is told so, with what it registered.
    const registered = ctx.from && (await registration.registeredBy(ctx.from.bare().toString()));
    if (registered) {
      return xml("query", { xmlns: NS.REGISTER },
        xml("registered"),
        xml("username", {}, localpartOf(registered)));
    }
    return form;
  }));

  xmpp.iqCallee.set(NS.REGISTER, "query", guarded(log, async (ctx) => {
    if (!registration.isAvailable) throw new AppError("registration-disabled");
    // §3.2: cancelling is for accounts on this service; accounts on the server are not removed here.
    if (ctx.element.getChild("remove")) throw new AppError("remove-not-allowed");
    const requester = ctx.from?.toString() ?? "";
    const submission = readSubmission(ctx);
    checkXmlText({ username: submission.username, password: submission.password, token: submission.token });
    const token = submission.token ?? (await sessions.lookup(requester));
    const { username, password } = requireFields(submission);
    await registration.register({
      token,
      username,
      password,
      door: "xmpp",
      requester: ctx.from?.bare().toString(),
    });
    await sessions.end(requester);
    return true as const;
  }));
}

export function registrationForm(needsToken: boolean, domain: string): Element {
  const instructions = needsToken ? INVITE_INSTRUCTIONS : INSTRUCTIONS;
  return xml("query", { xmlns: NS.REGISTER },
    xml("instructions", {}, instructions),
    xml("username"),
    xml("password"),
    // §4: the data form mirrors the legacy fields; clients that read forms prefer it.
    buildForm({
      type: "form",
      formType: NS.REGISTER,
      title: `Create an account on ${domain}`,
      instructions,
      fields: [
        { var: "username", type: "text-single", label: "Username", required: true },
        { var: "password", type: "text-private", label: "Password", required: true },
        { var: "token", type: "text-single", label: "Invite token", required: needsToken },
      ],
    }));
}

function readSubmission({ element }: IqContext): Submission {
  const inline = element.getChild("preauth", NS.PARS);
  if (inline && !inline.attrs.token) throw new AppError("token-invalid");
  const x = element.getChild("x", NS.DATA_FORMS);
  if (x) {
    const form = parseForm(x);
    if (form.type !== "submit") throw new AppError("bad-request", "The registration form must be of type submit");
    if (form.formType !== undefined && form.formType !== NS.REGISTER) {
      throw new AppError("bad-request", `Unexpected form type ${form.formType}`);
    }
    return {
      username: fieldValue(form, "username") ?? null,
      password: fieldValue(form, "password") ?? null,
      token: nonEmpty(fieldValue(form, "token")) ?? inline?.attrs.token,
    };
  }
  return {
    username: element.getChildText("username"),
    password: element.getChildText("password"),
    token: inline?.attrs.token,
  };
}

// Prosody's wording: one line per missing field.
function requireFields(submission: Submission): { username: string; password: string } {
  const missing: string[] = [];
  if (!submission.username) missing.push("Username: Required value missing");
  if (!submission.password) missing.push("Password: Required value missing");
  if (missing.length > 0 || !submission.username || !submission.password) throw new AppError("field-missing", missing.join("\n"));
  return { username: submission.username, password: submission.password };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
