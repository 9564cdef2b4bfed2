// XEP-0401 (v0.6) §5: the result form every invite-creating command returns.
import type { Invite } from "../../invites/domain/invite.js";
import { iso } from "../../invites/service/json.js";
import type { FieldSpec, FormSpec } from "../../protocol/forms.js";
import { NS } from "../../protocol/namespaces.js";

export function invitationForm(invite: Invite, uri: string, landingUrl: string | undefined): FormSpec {
  const fields: FieldSpec[] = [
    { var: "uri", type: "text-single", label: "Invite URI", desc: "This alternative link can be opened with some XMPP clients", values: [uri] },
    ...(landingUrl === undefined ? [] : [{ var: "landing-url", type: "text-single" as const, label: "Invite web page", desc: "Share this link", values: [landingUrl] }]),
    { var: "expire", type: "text-single", label: "Invite valid until", values: [iso(invite.expiresAt)] },
  ];
  return { type: "result", formType: NS.INVITATION_FORM, title: "Your invite has been created", fields };
}
