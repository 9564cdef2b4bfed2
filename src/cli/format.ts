// How invites look on the terminal and in --json output (snake_case, like the config).
import { type Invite, inviteKind, inviteStatus } from "../invites/domain/invite.js";
import { iso, inviteJson, treeJson } from "../invites/service/json.js";

export { iso, inviteJson, treeJson };

export function inviteTable(invites: readonly Invite[], now: number): string {
  const header = ["ID", "KIND", "INVITER", "USERNAME", "GROUPS", "USES", "EXPIRES", "STATUS", "NOTE"];
  const rows = invites.map((invite) => [
    invite.id,
    inviteKind(invite),
    invite.inviter ?? "-",
    invite.username ?? "-",
    invite.groups.length ? truncate(sanitize(invite.groups.join(",")), 24) : "-",
    `${invite.uses}/${invite.maxUses}`,
    iso(invite.expiresAt),
    inviteStatus(invite, now),
    truncate(sanitize(invite.note ?? ""), 40),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  return [header, ...rows]
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ").trimEnd())
    .join("\n");
}

export function inviteDetails(invite: Invite, now: number): string {
  const json = inviteJson(invite, now);
  return Object.entries(json)
    .filter(([, value]) => value !== null && !(Array.isArray(value) && value.length === 0))
    .map(([key, value]) => `${key.padEnd(18)} ${typeof value === "string" ? sanitize(value) : Array.isArray(value) ? sanitize(value.join(", ")) : String(value)}`)
    .join("\n");
}

// Notes come from operators and users: keep control characters off the terminal.
export function sanitize(text: string): string {
  return text.replace(/\p{Cc}+/gu, " ");
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
