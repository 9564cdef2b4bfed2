// The one contract every server adapter passes, on a real server: create, "already exists",
// whether an account exists, change password, delete, mutual subscription, an unreachable server (clear error, invite left
// usable) and a slow one (timeout). Each *.contract.test.ts runs it for its server and adapters.
import { connect, createServer, type Server, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import type { RosterWriter } from "../../src/invites/ports/roster.js";
import type { ServerAdapter } from "../../src/invites/ports/server.js";
import { RegistrationService } from "../../src/invites/registration/registration-service.js";
import { type XmppServer, canLogin, rosterOf } from "../helpers/clients.js";
import { makeCore } from "../helpers/invites.js";

export interface ContractSubject {
  readonly adapter: ServerAdapter;
  readonly roster: RosterWriter;
  readonly server: XmppServer;
}

/** An adapter whose server can be made to stop answering (and answer again). */
export interface SlowSubject {
  readonly adapter: ServerAdapter;
  /** From now on the server receives nothing and says nothing. */
  stall(): void;
  resume(): void;
  /** Closes what the case opened of its own (not the shared adapter). */
  close?(): Promise<void>;
}

export interface ContractOptions {
  /** The adapter and roster writer against the running server. */
  readonly subject: () => ContractSubject;
  /** The same kind of adapter pointed at a port where nothing listens; the contract starts and stops it. */
  readonly unreachable: (closedPort: number) => ServerAdapter | Promise<ServerAdapter>;
  /** The same kind of adapter on the running server, behind something that can stall it; a 1 s timeout. */
  readonly slow: () => SlowSubject | Promise<SlowSubject>;
}

/**
 * A TCP proxy to a real server that can stall: while stalled, nothing is forwarded either way
 * (it is held back and delivered on resume), so the server looks alive but silent.
 */
export async function stallingProxy(targetPort: number): Promise<{ port: number; stall(): void; resume(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let stalled = false;
  const held: Array<() => void> = [];
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
    }
    const forward = (to: Socket) => (data: Buffer) => {
      if (stalled) held.push(() => to.write(data));
      else to.write(data);
    };
    client.on("data", forward(upstream));
    upstream.on("data", forward(client));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    stall: () => { stalled = true; },
    resume: () => {
      stalled = false;
      for (const send of held.splice(0)) send();
    },
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

export async function closedPort(): Promise<number> {
  const { freePort } = await import("../../tools/demo/ports.js");
  return freePort();
}

export function describeAdapterContract(name: string, options: ContractOptions): void {
  describe(`adapter contract: ${name}`, () => {
    const unique = (base: string) => `${base}${Math.random().toString(36).slice(2, 8)}`;

    it("creates an account that logs in", async () => {
      const { adapter, server } = options.subject();
      const username = unique("made");
      expect(await adapter.createAccount({ username, password: "pw-first-12345" })).toEqual({ ok: true });
      expect(await canLogin(server, username, "pw-first-12345")).toBe(true);
    });

    it("says an account already exists, and leaves it alone", async () => {
      const { adapter, server } = options.subject();
      const username = unique("dup");
      await adapter.createAccount({ username, password: "pw-original-1" });
      expect(await adapter.createAccount({ username, password: "pw-intruder-2" })).toMatchObject({ ok: false, reason: "exists" });
      expect(await canLogin(server, username, "pw-original-1")).toBe(true);
    });

    it("changes a password, and says when there is no such account", async () => {
      const { adapter, server } = options.subject();
      const username = unique("pass");
      await adapter.createAccount({ username, password: "pw-before-123" });
      expect(await adapter.changePassword({ username, password: "pw-after-4567" })).toEqual({ ok: true });
      expect(await canLogin(server, username, "pw-before-123")).toBe(false);
      expect(await canLogin(server, username, "pw-after-4567")).toBe(true);
      expect(await adapter.changePassword({ username: unique("ghost"), password: "pw-ghost-1234" })).toMatchObject({ ok: false, reason: "missing" });
    });

    it("says whether an account exists (what claim settlement asks)", async () => {
      const { adapter } = options.subject();
      const username = unique("here");
      await adapter.createAccount({ username, password: "pw-exists-1234" });
      expect(await adapter.accountExists(username)).toEqual({ exists: true });
      expect(await adapter.accountExists(unique("absent"))).toEqual({ exists: false });
      await adapter.deleteAccount(username);
      expect(await adapter.accountExists(username)).toEqual({ exists: false });
    });

    it("deletes an account, and says when there is none", async () => {
      const { adapter, server } = options.subject();
      const username = unique("gone");
      await adapter.createAccount({ username, password: "pw-delete-123" });
      expect(await adapter.deleteAccount(username)).toEqual({ ok: true });
      expect(await canLogin(server, username, "pw-delete-123")).toBe(false);
      expect(await adapter.deleteAccount(username)).toMatchObject({ ok: false, reason: "missing" });
    });

    it("XEP-0379: writes a mutual subscription both users see as both", async () => {
      const { adapter, roster, server } = options.subject();
      const [a, b] = [unique("ann"), unique("bea")];
      await adapter.createAccount({ username: a, password: "pw-ann-123456" });
      await adapter.createAccount({ username: b, password: "pw-bea-123456" });
      const deadline = Date.now() + 5000;
      while (!roster.isAvailable() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await roster.setSubscribed(`${a}@${server.domain}`, { jid: `${b}@${server.domain}`, groups: ["Team"] })).toEqual({ ok: true });
      expect(await roster.setSubscribed(`${b}@${server.domain}`, { jid: `${a}@${server.domain}`, groups: ["Team"] })).toEqual({ ok: true });
      expect((await rosterOf(server, a, "pw-ann-123456")).get(`${b}@${server.domain}`)).toEqual({ subscription: "both", groups: ["Team"] });
      expect((await rosterOf(server, b, "pw-bea-123456")).get(`${a}@${server.domain}`)).toEqual({ subscription: "both", groups: ["Team"] });
    });

    it("an unreachable server: a clear 'unavailable', and the invite stays usable", async () => {
      const adapter = await options.unreachable(await closedPort());
      try {
        // Started as the app starts it: the connection is attempted and refused.
        await adapter.start?.();
        const result = await adapter.createAccount({ username: "nobody", password: "pw-9876543210" });
        expect(result).toMatchObject({ ok: false, reason: "unavailable" });
        expect((result as { detail?: string }).detail).toBeTruthy();
        const core = makeCore();
        const registration = new RegistrationService({ invites: core.invites, adapter, policy: { inviteOnly: true, allowRegistration: false }, log: core.logs.log, minPasswordLength: 10 });
        const { invite, token } = await core.invites.create();
        // An adapter that knows its link is down says so before anything is reserved; for one that
        // cannot know, no answer says nothing about whether the account was made: wait, and the use
        // stays reserved ...
        await expect(registration.register({ token, username: "nobody", password: "pw-9876543210", door: "xmpp" })).rejects.toMatchObject({ code: "server-unavailable" });
        expect(await core.invites.get(invite.id)).toMatchObject({ uses: 0, pending: adapter.ready?.() === false ? 0 : 1 });
        // ... which settlement cannot resolve while the server is away.
        expect(await adapter.accountExists("nobody")).toMatchObject({ exists: "unknown" });
      } finally {
        await adapter.stop?.();
      }
    });

    it("a slow server: a call that was working gives up after its timeout, as 'unavailable'", async () => {
      const slow = await options.slow();
      try {
        // The path to the server works...
        expect(await slow.adapter.createAccount({ username: unique("quick"), password: "pw-1234567890" })).toEqual({ ok: true });
        // ...then the server goes silent: the call must end on its own timeout, not hang and not
        // answer at once as if never connected.
        slow.stall();
        const result = await slow.adapter.createAccount({ username: unique("patient"), password: "pw-1234567890" });
        expect(result).toMatchObject({ ok: false, reason: "unavailable" });
        expect((result as { detail?: string }).detail).toMatch(/time/i);
        // And whether the account exists cannot be told while it is silent: the claim stays reserved.
        expect(await slow.adapter.accountExists(unique("patient"))).toMatchObject({ exists: "unknown" });
      } finally {
        slow.resume();
        await slow.close?.();
      }
    });
  });
}
