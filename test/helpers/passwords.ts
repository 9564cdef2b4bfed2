/** A per-user password that satisfies the default policy (10+ characters, no username inside). */
export function pw(username: string): string {
  return `pw-${[...username].reverse().join("")}-1234567`.replace(username, "#");
}
