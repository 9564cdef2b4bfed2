// ====================================================================
// XEP-0401 v0.3.0 §5.5 / XEP-0445: the pre-authentication IQ
//   <iq type='set'><preauth xmlns='urn:xmpp:pars:0' token='…'/></iq>
// Source: https://xmpp.org/extensions/xep-0445.html (v0.2.0)
// A good token is remembered for the sender's full JID, for one registration and a short time
// (Prosody keeps it for the whole stream, which lets one token register many accounts).
// ====================================================================
import type { Component } from "@xmpp/component";
import type { Logger } from "pino";
import { AppError } from "../errors.js";
import type { Clock } from "../invites/domain/clock.js";
import type { RegistrationService } from "../invites/registration/registration-service.js";
import { type IqReply, guarded } from "./handlers.js";
import { NS } from "../protocol/namespaces.js";

export class PreauthSessions {
  readonly #tokens = new Map<string, { token: string; expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #clock: Clock;

  constructor(options: { ttlMs: number; max: number; clock: Clock }) {
    this.#ttlMs = options.ttlMs;
    this.#max = options.max;
    this.#clock = options.clock;
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
    sessions.remember(ctx.from?.toString() ?? "", token);
    return true;
  });
  // Prosody answers the IQ whatever its type; clients send it as a set.
  xmpp.iqCallee.set(NS.PARS, "preauth", handler);
  xmpp.iqCallee.get(NS.PARS, "preauth", handler);
}
