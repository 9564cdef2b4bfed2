// The notifier port: chat messages the core sends to users.

/** Messages from the component's own JID to a user (notices to inviters and watchers, welcome messages). */
export interface Notifier {
  /** Sends one chat message; rejects when it cannot be handed to the server (e.g. not connected). */
  notify(to: string, text: string): Promise<void>;
}
