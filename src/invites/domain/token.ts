// Invite tokens: unguessable, URI-safe letters and digits only (Monal splits URIs on ';' and '='
// without decoding, so base64 padding or '-' would break it), stored only as a SHA-256 hash.
import { createHash, randomFillSync } from "node:crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** 24 characters of base62: 142 bits of entropy (Prosody's tokens have 144). */
export const TOKEN_LENGTH = 24;
const ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"; // no l/o/0/1: ids are read aloud and typed

// CSPRNG bytes drawn from a pool refilled 4 KiB at a time: one call per byte costs more than
// the rest of creating an invite.
const pool = Buffer.alloc(4096);
let offset = pool.length;

function randomByte(): number {
  if (offset >= pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const byte = pool[offset] ?? 0;
  // Each byte is used once and wiped, so no value can be handed out twice.
  pool[offset++] = 0;
  return byte;
}

function randomString(length: number, alphabet: string): string {
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < length) {
    const byte = randomByte();
    if (byte < limit) out += alphabet[byte % alphabet.length];
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
