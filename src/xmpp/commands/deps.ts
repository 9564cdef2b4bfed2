// What every invite command needs: the invite service and the policy keys of the config.
import type { ContactInvites } from "../../invites/social/contacts.js";
import type { InviteLimits } from "../../invites/service/limits.js";
import type { InviteService } from "../../invites/service/invite-service.js";
import type { InvitationTree } from "../../invites/social/tree.js";

export interface CommandDeps {
  readonly invites: InviteService;
  readonly domain: string;
  /** `allow_contact_invites`: local users may create contact invites (else admins only). */
  readonly allowContactInvites: boolean;
  /** `allow_user_invites`: contact invites from non-admins may also register an account. */
  readonly allowUserInvites: boolean;
  /** `http.public_url`: where the web door is, for the invite's web page in each result. */
  readonly publicUrl: string | undefined;
  /** Contact invites accepted by existing accounts. */
  readonly contacts: ContactInvites;
  /** Who invited whom. */
  readonly tree: InvitationTree;
  /** `invite_limits`: what users who are not admins may create. */
  readonly limits: InviteLimits;
}
