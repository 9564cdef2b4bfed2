// The one narrow interface between the registration core and the host XMPP server.

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

export interface ServerAdapter {
  readonly kind: string;
  createAccount(account: Account): Promise<CreateAccountResult>;
}
