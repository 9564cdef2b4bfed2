import { parseArgs } from "node:util";
import { openInvites } from "../app.js";
import { configPath, loadConfig } from "../config/load.js";
import { inviteRequest } from "../invites/service/request.js";
import { landingUrl } from "../invites/domain/uri.js";
import { systemClock } from "../invites/domain/clock.js";
import { inviteKind } from "../invites/domain/invite.js";
import type { InviteService } from "../invites/service/invite-service.js";
import { type InvitationTree, flatten } from "../invites/social/tree.js";
import { inviteDetails, inviteJson, inviteTable, iso, sanitize, treeJson } from "./format.js";
import { UsageError, usage } from "./usage.js";

const OPTIONS = {
  config: { type: "string" },
  json: { type: "boolean", default: false },
  username: { type: "string" },
  expires: { type: "string" },
  uses: { type: "string" },
  note: { type: "string" },
  contact: { type: "string" },
  "allow-registration": { type: "boolean", default: false },
  reset: { type: "string" },
  group: { type: "string", multiple: true },
  all: { type: "boolean", default: false },
  user: { type: "string" },
} as const;

type Values = ReturnType<typeof parse>["values"];

function parse(args: string[]) {
  return usage(() => parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true }));
}

export async function runInvite(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parse(rest);
  const config = loadConfig(configPath(values.config));
  const { stores, invites, tree } = await openInvites(config);
  try {
    switch (action) {
      case "create":
        return await create(invites, values, positionals, config.http.public_url);
      case "list":
        return await list(invites, values, positionals);
      case "show":
        return await show(invites, values, positionals);
      case "revoke":
        return values.user === undefined ? await revoke(invites, values, positionals) : await revokeUser(tree, values, positionals);
      case "tree":
        return await showTree(tree, values, positionals);
      case "purge":
        return await purge(invites, values, positionals);
      default:
        throw new UsageError(action ? `unknown invite command "${action}"` : "invite needs a command: create, list, show, revoke, tree or purge");
    }
  } finally {
    await stores.close();
  }
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function noPositionals(positionals: string[]): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
}

function onlyId(positionals: string[]): string {
  const [id, extra] = positionals;
  if (!id) throw new UsageError("an invite id is needed");
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  return id;
}

async function create(invites: InviteService, values: Values, positionals: string[], publicUrl: string | undefined): Promise<number> {
  noPositionals(positionals);
  if (values.contact !== undefined && values.reset !== undefined) throw new UsageError("--contact and --reset cannot be combined");
  if (values["allow-registration"] && values.contact === undefined) throw new UsageError("--allow-registration goes with --contact");
  if (values.reset !== undefined && values.username !== undefined) throw new UsageError("--reset already names the account; drop --username");
  const type = values.contact !== undefined ? "contact" : values.reset !== undefined ? "reset" : "account";
  const { invite, token, uri } = await invites.create(inviteRequest({
    type,
    username: values.reset ?? values.username,
    inviter: values.contact,
    allowRegistration: values["allow-registration"],
    groups: values.group,
    expires: values.expires,
    uses: values.uses,
    note: values.note,
    source: "cli",
  }, (field, message) => {
    throw new UsageError(`--${field}: ${message}`);
  }));
  const page = landingUrl(publicUrl, token);
  if (values.json) {
    out(JSON.stringify({ ...inviteJson(invite, systemClock.now()), token, uri, landing_url: page ?? null }));
  } else {
    const whom = invite.type === "contact" ? ` from ${invite.inviter ?? "?"}` : invite.username ? ` for ${invite.username}` : "";
    const groups = invite.groups.length ? `, groups ${invite.groups.join(", ")}` : "";
    out(`Invite ${invite.id} created: ${inviteKind(invite)}${whom}${groups}, ${invite.maxUses} use${invite.maxUses === 1 ? "" : "s"}, expires ${iso(invite.expiresAt)}`);
    if (page !== undefined) out(page);
    out(uri);
    out(`The token is shown only now; keep the link${page === undefined ? "" : "s"} safe.`);
  }
  return 0;
}

async function list(invites: InviteService, values: Values, positionals: string[]): Promise<number> {
  noPositionals(positionals);
  const now = systemClock.now();
  const all = await invites.list({ all: values.all });
  if (values.json) out(JSON.stringify(all.map((invite) => inviteJson(invite, now))));
  else out(all.length ? inviteTable(all, now) : values.all ? "No invites." : "No pending invites.");
  return 0;
}

async function show(invites: InviteService, values: Values, positionals: string[]): Promise<number> {
  const invite = await invites.get(onlyId(positionals));
  const now = systemClock.now();
  out(values.json ? JSON.stringify(inviteJson(invite, now)) : inviteDetails(invite, now));
  return 0;
}

async function revoke(invites: InviteService, values: Values, positionals: string[]): Promise<number> {
  const invite = await invites.revoke(onlyId(positionals));
  out(values.json ? JSON.stringify(inviteJson(invite, systemClock.now())) : `Invite ${invite.id} revoked.`);
  return 0;
}

async function purge(invites: InviteService, values: Values, positionals: string[]): Promise<number> {
  noPositionals(positionals);
  const purged = await invites.purgeExpired();
  out(values.json ? JSON.stringify({ purged }) : `${purged} expired invite${purged === 1 ? "" : "s"} deleted.`);
  return 0;
}

/** Every invite of one user that could still be used, revoked at once. */
async function revokeUser(tree: InvitationTree, values: Values, positionals: string[]): Promise<number> {
  noPositionals(positionals);
  const user = values.user ?? "";
  if (user.trim() === "") throw new UsageError("--user needs the account whose invites are to be revoked");
  const revoked = await tree.revokePending(user);
  if (values.json) out(JSON.stringify({ user, revoked: revoked.map((invite) => invite.id) }));
  else out(revoked.length === 0 ? `${user} has no invites that could still be used.` : `Revoked ${revoked.length} invite${revoked.length === 1 ? "" : "s"} of ${user}: ${revoked.map((invite) => invite.id).join(", ")}.`);
  return 0;
}

async function showTree(tree: InvitationTree, values: Values, positionals: string[]): Promise<number> {
  const [root, extra] = positionals;
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  const nodes = await tree.tree(root);
  if (values.json) {
    out(JSON.stringify(treeJson(nodes)));
    return 0;
  }
  const rows = flatten(nodes);
  if (rows.length === 0 || (root !== undefined && rows.length === 1 && rows[0]?.node.invitation === null)) {
    out(root === undefined ? "Nobody has been invited yet." : `${root} has invited nobody.`);
    return 0;
  }
  for (const { depth, node } of rows) {
    const how = node.invitation === null ? "" : `  ${node.invitation.kind === "account" ? "joined" : "accepted"} ${iso(node.invitation.at)}${node.invitation.inviteId === null ? "" : ` invite ${node.invitation.inviteId}`}${node.invitation.note === null ? "" : `  "${sanitize(node.invitation.note)}"`}`;
    out(`${"  ".repeat(depth)}${depth === 0 ? "" : "└ "}${node.jid}${how}`);
  }
  return 0;
}
