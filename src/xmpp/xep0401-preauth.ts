// ====================================================================
// XEP-0401 v0.3.0 §5.5 / XEP-0445: the pre-authentication IQ
//   <iq type='set'><preauth xmlns='urn:xmpp:pars:0' token='…'/></iq>
// Source: https://xmpp.org/extensions/xep-0445.html (v0.2.0)
// A good token is remembered for the sender's full JID, for one registration and a short time
// (Prosody keeps it for the whole stream, which lets one token register many accounts). Where
// instances share a database it is kept there too, sealed (AES-256-GCM, a key from the component
// secret, the JID as associated data), for a register the server hands to another instance.
// ====================================================================
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import type { Component } from "@xmpp/component";
import type { Logger } from "pino";
import { AppError } from "../errors.js";
import type { Clock } from "../invites/domain/clock.js";
import type { PreauthStore } from "../invites/ports/store.js";
import type { RegistrationService } from "../invites/registration/registration-service.js";
import { type IqReply, guarded } from "./handlers.js";
import { NS } from "../protocol/namespaces.js";

/** Preauth tokens in the shared store, sealed under a key derived from the component secret. */
export interface SharedPreauth {
  put(fullJid: string, token: string, expiresAt: number, now: number): Promise<void>;
  get(fullJid: string, now: number): Promise<string | undefined>;
  drop(fullJid: string): Promise<void>;
}

export function sealedPreauth(store: PreauthStore, componentSecret: string): SharedPreauth {
  const key = createHmac("sha256", componentSecret).update("xmpp-invites preauth").digest();
  return {
    put: (fullJid, token, expiresAt, now) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(Buffer.from(fullJid));
      const body = Buffer.concat([cipher.update(token, "utf8"), cipher.final()]);
      return store.put(fullJid, Buffer.concat([iv, cipher.getAuthTag(), body]), expiresAt, now);
    },
    get: async (fullJid, now) => {
      const sealed = await store.get(fullJid, now);
      if (sealed === undefined || sealed.length < 28) return undefined;
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, 12)).setAAD(Buffer.from(fullJid));
        decipher.setAuthTag(sealed.subarray(12, 28));
        return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString("utf8");
      } catch {
        return undefined; // sealed under another secret
      }
    },
    drop: (fullJid) => store.drop(fullJid),
  };
}

export class PreauthSessions {
  readonly #tokens = new Map<string, { token: string; expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #clock: Clock;
  readonly #shared: SharedPreauth | undefined;

  constructor(options: { ttlMs: number; max: number; clock: Clock; shared?: SharedPreauth | undefined }) {
    this.#ttlMs = options.ttlMs;
    this.#max = options.max;
    this.#clock = options.clock;
    this.#shared = options.shared;
  }

  /** Remembers it here and, where instances share a database, there (awaited: the register may reach another instance next). */
  async share(fullJid: string, token: string): Promise<void> {
    this.remember(fullJid, token);
    const now = this.#clock.now();
    await this.#shared?.put(fullJid, token, now + this.#ttlMs, now);
  }

  /** The token for this JID: remembered here, else by another instance. */
  async lookup(fullJid: string): Promise<string | undefined> {
    return this.tokenFor(fullJid) ?? (await this.#shared?.get(fullJid, this.#clock.now()));
  }

  /** Forgets it here and in the database; never throws (the account exists by now, and the row expires anyway). */
  async end(fullJid: string): Promise<void> {
    this.forget(fullJid);
    await this.#shared?.drop(fullJid).catch(() => undefined);
  }

  remember(fullJid: string, token: string): void {
    this.#tokens.delete(fullJid);
    // Bounded: the oldest entry goes first, so a flood of preauths cannot grow memory.
    if (this.#tokens.size >= this.#max) {
      const oldest = this.#tokens.keys().next().value;
      if (oldest !== undefined) this.#tokens.delete(oldest);
    }
    this.#tokens.set(fullJid, { token, expiresAt: this.#clock.now() + this.#ttlMs });
  }

  tokenFor(fullJid: string): string | undefined {
    const entry = this.#tokens.get(fullJid);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#clock.now()) {
      this.#tokens.delete(fullJid);
      return undefined;
    }
    return entry.token;
  }

  forget(fullJid: string): void {
    this.#tokens.delete(fullJid);
  }

  get size(): number {
    return this.#tokens.size;
  }
}

export interface PreauthOptions {
  readonly xmpp: Component;
  readonly registration: RegistrationService;
  readonly sessions: PreauthSessions;
  readonly log: Logger;
}

export function registerPreauth({ xmpp, registration, sessions, log }: PreauthOptions): void {
  const handler = guarded(log, async (ctx): Promise<IqReply> => {
    const token = ctx.element.attrs.token;
    if (!token) throw new AppError("token-invalid");
    await registration.checkToken(token);
    await sessions.share(ctx.from?.toString() ?? "", token);
    return true;
  });
  // Prosody answers the IQ whatever its type; clients send it as a set.
  xmpp.iqCallee.set(NS.PARS, "preauth", handler);
  xmpp.iqCallee.get(NS.PARS, "preauth", handler);
}
