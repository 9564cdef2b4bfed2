import type { Door, Invite } from "./invite.js";

/** What the domain reports as it works; metrics, notices and the like listen here, the domain knows nothing of them. */
export interface InviteEvents {
  created?(invite: Invite): void;
  /** A registration or reset finished; `invite` is null for open registration; `jid` is the account. */
  registered?(door: Door, action: "created" | "password-reset", invite: Invite | null, jid: string): void;
  /** An existing account (`jid`, on this server or another) accepted a contact invite (XEP-0379). */
  contactAccepted?(invite: Invite, jid: string, door: Door): void;
  /** A redemption was refused; `reason` is an error code or a token refusal. */
  refused?(door: Door, reason: string): void;
}

/** One listener that tells each of `listeners` in turn; one that throws does not stop the others. */
export function allOf(listeners: readonly InviteEvents[], onError: (err: unknown) => void): InviteEvents {
  const each = <K extends keyof InviteEvents>(key: K) =>
    (...args: Parameters<NonNullable<InviteEvents[K]>>) => {
      for (const listener of listeners) {
        try {
          (listener[key] as ((...a: typeof args) => void) | undefined)?.(...args);
        } catch (err) {
          onError(err);
        }
      }
    };
  return { created: each("created"), registered: each("registered"), contactAccepted: each("contactAccepted"), refused: each("refused") };
}
