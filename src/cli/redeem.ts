import { parseArgs } from "node:util";
import { redeemOverXmpp } from "../client/redeem.js";
import { configPath, loadConfig } from "../config/load.js";
import { parseInviteUri } from "../invites/domain/uri.js";
import { UsageError, usage } from "./usage.js";
import { parseJid } from "../protocol/jid.js";
import { checkXmlText } from "../protocol/xml-text.js";

const OPTIONS = {
  config: { type: "string" },
  username: { type: "string" },
  password: { type: "string" },
  server: { type: "string" },
  "anonymous-domain": { type: "string" },
  component: { type: "string" },
  json: { type: "boolean", default: false },
} as const;

export async function runRedeem(args: string[]): Promise<number> {
  const { values, positionals } = usage(() => parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true }));
  const [uri] = positionals;
  const invite = uri === undefined ? undefined : parseInviteUri(uri);
  if (!invite) throw new UsageError("redeem needs an invite URI such as xmpp:example.org?register;preauth=TOKEN");
  // The password may come from the environment, so it does not show in the process list.
  const password = values.password ?? process.env["XMPP_INVITES_PASSWORD"];
  const target = parseJid(invite.jid);
  const domain = target?.domain ?? invite.jid;
  const username = values.username ?? (target?.local || undefined);
  if (!username) throw new UsageError("--username is needed (the invite does not fix one)");
  if (!password) throw new UsageError("--password (or $XMPP_INVITES_PASSWORD) is needed");
  checkXmlText({ "--password (or $XMPP_INVITES_PASSWORD)": password });
  if (!values.server || !values["anonymous-domain"]) {
    throw new UsageError("--server xmpp://HOST:PORT and --anonymous-domain DOMAIN are needed to reach the component");
  }
  // A client machine usually has no config.json: only an explicit --config stands in for --component.
  const explicitConfig = values.config ?? (process.env["XMPP_INVITES_CONFIG"] || undefined);
  if (values.component === undefined && explicitConfig === undefined) {
    throw new UsageError("--component JID is needed (the component's address, e.g. invites.example.org), or --config PATH to read it from");
  }
  const component = values.component ?? loadConfig(configPath(explicitConfig)).component.domain;
  const { jid } = await redeemOverXmpp({
    service: values.server,
    loginDomain: values["anonymous-domain"],
    component,
    domain,
    token: invite.token,
    username,
    password,
  });
  process.stdout.write(values.json ? `${JSON.stringify({ jid })}\n` : `Registered ${jid}\n`);
  return 0;
}
