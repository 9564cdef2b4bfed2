// Who invited whom: the tree of invitations, from the record written when each account was
// created (or contact invite accepted), and revoking everything a user still has pending.
import type { Invite } from "../domain/invite.js";
import type { InviteService } from "../service/invite-service.js";
import type { Invitation, InvitationStore } from "../ports/store.js";
import { parseJid } from "../../protocol/jid.js";

export interface TreeNode {
  /** An account's bare JID, or where invites without a user were made ("cli", "api:<key id>"). */
  readonly jid: string;
  /** How this node came in: absent for the top of a tree. */
  readonly invitation: Invitation | null;
  readonly children: readonly TreeNode[];
}

export class InvitationTree {
  readonly #store: InvitationStore;
  readonly #invites: InviteService;

  constructor(options: { store: InvitationStore; invites: InviteService }) {
    this.#store = options.store;
    this.#invites = options.invites;
  }

  /** Below `root` (a JID) when given; else every tree, each from an inviter nobody invited. */
  async tree(root?: string): Promise<TreeNode[]> {
    const edges = await this.#store.all();
    const byInviter = new Map<string, Invitation[]>();
    for (const edge of edges) byInviter.set(edge.inviter, [...(byInviter.get(edge.inviter) ?? []), edge]);
    const build = (jid: string, invitation: Invitation | null, seen: Set<string>): TreeNode => {
      seen.add(jid);
      // A contact who accepted is a leaf: the accounts below it were not invited through this tree.
      const below = invitation?.kind === "contact" ? [] : (byInviter.get(jid) ?? []).filter((edge) => !seen.has(edge.invitee));
      return { jid, invitation, children: below.map((edge) => build(edge.invitee, edge, seen)) };
    };
    if (root !== undefined) {
      const jid = normalize(root);
      return [build(jid, (await this.#store.invitedAs(jid)) ?? null, new Set())];
    }
    const invitedAccounts = new Set(edges.filter((edge) => edge.kind === "account").map((edge) => edge.invitee));
    const tops = [...byInviter.keys()].filter((inviter) => !invitedAccounts.has(inviter));
    const seen = new Set<string>();
    return tops.map((top) => build(top, null, seen));
  }

  /** The invitations `jid` made (`by`), and the one through which it came (`as`). */
  async invitations(jid: string): Promise<{ by: Invitation[]; as: Invitation | undefined }> {
    const user = normalize(jid);
    return { by: await this.#store.byInviter(user), as: await this.#store.invitedAs(user) };
  }

  /** Revokes every invite of `user` (as inviter, or as the admin who made it) that could still be used. */
  async revokePending(user: string): Promise<Invite[]> {
    const jid = normalize(user);
    const mine = (await this.#invites.list()).filter((invite) => invite.inviter === jid || (invite.source !== null && normalize(invite.source) === jid));
    const revoked: Invite[] = [];
    for (const invite of mine) revoked.push(await this.#invites.revoke(invite.id));
    return revoked;
  }
}

/** Flattens a tree for tables: each node with its depth, parents first. */
export function flatten(nodes: readonly TreeNode[], depth = 0): { depth: number; node: TreeNode }[] {
  return nodes.flatMap((node) => [{ depth, node }, ...flatten(node.children, depth + 1)]);
}


function normalize(jid: string): string {
  const parsed = parseJid(jid.trim());
  if (parsed === undefined) return jid.trim().toLowerCase();
  return (parsed.local === "" ? parsed.domain : `${parsed.local}@${parsed.domain}`).toLowerCase();
}
