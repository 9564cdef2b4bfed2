// The roster port: how the core puts contacts on users' rosters (XEP-0379 mutual subscriptions).

/** A roster item the component writes: `jid` with subscription both, in these groups, no name (XEP-0379 §6). */
export interface SubscribedItem {
  readonly jid: string;
  readonly groups: readonly string[];
}

export type RosterResult = { readonly ok: true } | { readonly ok: false; readonly reason: "rejected" | "unavailable"; readonly detail?: string };

/** The roster capability beside account creation: what makes XEP-0379 mutual subscriptions possible. */
export interface RosterWriter {
  readonly kind: string;
  /** Whether a write can succeed now (connected and granted the right). */
  isAvailable(): boolean;
  /** Called when writes become possible after a while they were not (e.g. the server grants the right). */
  onAvailable?(listener: () => void): void;
  /** Puts `item` on the roster of `owner` (a bare JID) with subscription both. */
  setSubscribed(owner: string, item: SubscribedItem): Promise<RosterResult>;
}
