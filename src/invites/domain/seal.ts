// Sealing a secret for the holder of a token that is stored only as a hash. When a request for an
// account is made, an X25519 key pair is derived from its private status token and only the public
// half is kept; on approval the invite's token is sealed to that public key (ECDH + HKDF +
// AES-256-GCM). The database alone never holds a usable invite token; the status link opens it.
import { createCipheriv, createDecipheriv, createHmac, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from "node:crypto";

// PKCS#8 wrapping of a raw 32-byte X25519 private key (RFC 8410).
const PKCS8_X25519_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const INFO = Buffer.from("xmpp-invites sealed token");

function privateKeyOf(token: string): KeyObject {
  const seed = createHmac("sha256", "xmpp-invites request key").update(token, "utf8").digest();
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, seed]), format: "der", type: "pkcs8" });
}

function keyFor(shared: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", shared, salt, INFO, 32));
}

/** The public key (SPKI DER) a secret can later be sealed to for the holder of `token`. */
export function sealingKeyOf(token: string): Buffer {
  return createPublicKey(privateKeyOf(token)).export({ format: "der", type: "spki" });
}

/** Ephemeral public key, nonce, tag and ciphertext, in one buffer. */
export function seal(publicKeyDer: Buffer, secret: string): Buffer {
  const recipient = createPublicKey({ key: publicKeyDer, format: "der", type: "spki" });
  const ephemeral = generateKeyPairSync("x25519");
  const ephemeralDer = ephemeral.publicKey.export({ format: "der", type: "spki" });
  const key = keyFor(diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient }), ephemeralDer);
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  const length = Buffer.from([ephemeralDer.length]);
  return Buffer.concat([length, ephemeralDer, nonce, cipher.getAuthTag(), body]);
}

/** The sealed secret, or undefined when `token` is not the one it was sealed for. */
export function unseal(token: string, sealed: Buffer): string | undefined {
  try {
    const length = sealed[0] ?? 0;
    const ephemeralDer = sealed.subarray(1, 1 + length);
    const nonce = sealed.subarray(1 + length, 13 + length);
    const tag = sealed.subarray(13 + length, 29 + length);
    const body = sealed.subarray(29 + length);
    const ephemeral = createPublicKey({ key: ephemeralDer, format: "der", type: "spki" });
    const key = keyFor(diffieHellman({ privateKey: privateKeyOf(token), publicKey: ephemeral }), ephemeralDer);
    const decipher = createDecipheriv("aes-256-gcm", key, nonce);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
  } catch {
    return undefined;
  }
}
