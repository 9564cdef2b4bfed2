// The one narrow interface between the registration core and the host XMPP server: accounts.

export interface Account {
  /** Localpart, already normalised. */
  readonly username: string;
  readonly password: string;
}

export type CreateAccountResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** exists: the name is taken; rejected: the server refused; unavailable: no answer in time. */
      readonly reason: "exists" | "rejected" | "unavailable";
      /** For the log only: server text is never relayed to users. */
      readonly detail?: string;
    };

export type ChangePasswordResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: "missing" | "rejected" | "unavailable"; readonly detail?: string };

/**
 * Whether an account exists, as far as the server can say: "unknown" when it did not answer, or
 * when the adapter has no way to tell on this server (then `detail` says why).
 */
export interface AccountCheck {
  readonly exists: boolean | "unknown";
  /** For the log only. */
  readonly detail?: string;
}

export interface ServerAdapter {
  readonly kind: string;
  /** Settles claims a crash or a timeout left open: only a definite answer resolves one. */
  accountExists(username: string): Promise<AccountCheck>;
  createAccount(account: Account): Promise<CreateAccountResult>;
  /** Sets a new password on an existing account; never creates one. */
  changePassword(account: Account): Promise<ChangePasswordResult>;
  /** Removes an account (used to roll back and by operators); "missing" when there is none. */
  deleteAccount(username: string): Promise<ChangePasswordResult>;
  /**
   * Whether a call can get through now (e.g. the link it speaks over is up). False: a registration
   * is refused at once with server-unavailable, before any use is claimed, so another instance
   * (or a retry) can take it. Absent: always worth trying.
   */
  ready?(): boolean;
  /** Connections the adapter holds of its own, opened by the app's start and closed by its stop. */
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

/**
 * Whether `inviter` (a user of the domain) has approved `invitee`'s subscription, as the server's
 * roster says: how a contact claim of the server's bridge is settled when its report was lost.
 */
export interface SubscriptionCheck {
  approved(inviter: string, invitee: string): Promise<{ readonly approved: boolean | "unknown"; readonly detail?: string }>;
}
