// Localpart rules as nodeprep (RFC 3920 Appendix A) / PRECIS UsernameCaseMapped (RFC 8265) apply
// them: width and case are folded, and characters a JID localpart may not hold are refused.

const MAX_BYTES = 1023; // RFC 7622 §3.3.1
// Prohibited by nodeprep: the eight ASCII characters and every space, control, format
// (bidi and zero-width marks), private-use, surrogate and unassigned code point.
const PROHIBITED = /["&'/:<>@\p{White_Space}\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Cn}]/u;

export type UsernameCheck = { ok: true; username: string } | { ok: false };

export function normalizeUsername(input: string): UsernameCheck {
  const username = input.normalize("NFKC").toLowerCase().normalize("NFKC");
  if (username.length === 0) return { ok: false };
  if (Buffer.byteLength(username, "utf8") > MAX_BYTES) return { ok: false };
  if (PROHIBITED.test(username)) return { ok: false };
  return { ok: true, username };
}
