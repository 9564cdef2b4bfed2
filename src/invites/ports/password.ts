// The one question the web portal asks the host server: is this the account's password? Answered
// by the server itself (a SASL login over its client port), never from anything kept here.

/** valid / invalid: the server said so; unavailable: no answer, or no way to ask it safely. */
export type PasswordVerdict = "valid" | "invalid" | "unavailable";

export interface PasswordCheck {
  /** `username` is the localpart, already normalised; the password is used once and dropped. */
  check(username: string, password: string): Promise<PasswordVerdict>;
}
