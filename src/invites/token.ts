// Invite tokens: unguessable, URI-safe letters and digits only (Monal splits URIs on ';' and '='
// without decoding, so base64 padding or '-' would break it), stored only as a SHA-256 hash.
import { createHash, randomBytes } from "node:crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** 24 characters of base62: 142 bits of entropy (Prosody's tokens have 144). */
export const TOKEN_LENGTH = 24;
const ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"; // no l/o/0/1: ids are read aloud and typed

function randomString(length: number, alphabet: string): string {
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit) out += alphabet[byte % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

export function generateToken(): string {
  return randomString(TOKEN_LENGTH, ALPHABET);
}

/** Short, non-secret handle for listing and revoking (40 bits; collisions are retried). */
export function generateInviteId(): string {
  return randomString(8, ID_ALPHABET);
}

export function hashToken(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/** Cheap shape check before touching the database. */
export function isWellFormedToken(value: string): boolean {
  return /^[A-Za-z0-9]{16,128}$/.test(value);
}
