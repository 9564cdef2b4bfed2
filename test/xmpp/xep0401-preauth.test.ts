import { afterEach, describe, expect, it } from "vitest";
import { PreauthSessions, sealedPreauth } from "../../src/xmpp/xep0401-preauth.js";
import { openSqliteStores } from "../../src/adapters/store/sqlite/index.js";
import { FakeClock } from "../helpers/clock.js";
import { type Harness, createHarness } from "../helpers/xmpp-harness.js";
import { errorOf, stanza } from "../helpers/xml.js";

let h: Harness;
afterEach(() => h?.close());

describe("XEP-0401 0.3.0 §5.5 / XEP-0445 §3: the preauth IQ", () => {
  it("a valid token gets an empty result, and does not consume the invite", async () => {
    h = createHarness();
    const { invite, token } = await h.app.invites.create();
    const reply = await h.iq("set", stanza`<preauth xmlns="urn:xmpp:pars:0" token="${token}"/>`);
    expect(reply.attrs.type).toBe("result");
    expect(reply.children).toHaveLength(0);
    expect(await h.app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
  });

  it("an unknown token or none at all: cancel/forbidden, as Prosody answers", async () => {
    h = createHarness();
    const expected = { type: "cancel", condition: "forbidden", text: "The invite token is invalid or expired" };
    expect(errorOf(await h.iq("set", stanza`<preauth xmlns="urn:xmpp:pars:0" token="AAAAAAAAAAAAAAAAAAAAAAAA"/>`))).toEqual(expected);
    expect(errorOf(await h.iq("set", stanza`<preauth xmlns="urn:xmpp:pars:0"/>`))).toEqual(expected);
  });

  it("a revoked token is refused", async () => {
    h = createHarness();
    const { invite, token } = await h.app.invites.create();
    await h.app.invites.revoke(invite.id);
    expect(errorOf(await h.iq("set", stanza`<preauth xmlns="urn:xmpp:pars:0" token="${token}"/>`)).condition).toBe("forbidden");
  });

  it("is answered as a get too (Prosody does not check the type)", async () => {
    h = createHarness();
    const { token } = await h.app.invites.create();
    expect((await h.iq("get", stanza`<preauth xmlns="urn:xmpp:pars:0" token="${token}"/>`)).attrs.type).toBe("result");
  });

  it("never logs the token", async () => {
    h = createHarness();
    const { token } = await h.app.invites.create();
    await h.iq("set", stanza`<preauth xmlns="urn:xmpp:pars:0" token="${token}"/>`);
    await h.iq("set", stanza`<preauth xmlns="urn:xmpp:pars:0" token="${token}x"/>`);
    expect(h.logs.text()).not.toContain(token);
  });
});

describe("PreauthSessions", () => {
  it("keeps a bounded number of entries, dropping the oldest", () => {
    const sessions = new PreauthSessions({ ttlMs: 1000, max: 3, clock: new FakeClock() });
    for (const jid of ["a", "b", "c", "d"]) sessions.remember(jid, `token-${jid}`);
    expect(sessions.size).toBe(3);
    expect(sessions.tokenFor("a")).toBeUndefined();
    expect(sessions.tokenFor("d")).toBe("token-d");
  });
});

describe("PreauthSessions shared through the store (instances on one database)", () => {
  it("a token remembered at one instance is found at another with the same component secret, sealed in the store, gone once used or expired", async () => {
    const stores = openSqliteStores(":memory:");
    const clock = new FakeClock();
    const at = (secret: string) => new PreauthSessions({ ttlMs: 1000, max: 10, clock, shared: sealedPreauth(stores.preauth, secret) });
    const [a, b, stranger] = [at("s3cret"), at("s3cret"), at("another")];
    try {
      await a.share("x1@anon.example.test/r", "the-token");
      const row = stores.db.prepare("SELECT sealed_token FROM preauth").get() as { sealed_token: Buffer };
      expect(row.sealed_token.toString("latin1")).not.toContain("the-token");
      expect(await b.lookup("x1@anon.example.test/r")).toBe("the-token");
      expect(await b.lookup("x2@anon.example.test/r")).toBeUndefined();
      expect(await stranger.lookup("x1@anon.example.test/r")).toBeUndefined();
      await b.end("x1@anon.example.test/r");
      expect(await a.lookup("x1@anon.example.test/r")).toBe("the-token"); // still remembered where it came in
      expect(await at("s3cret").lookup("x1@anon.example.test/r")).toBeUndefined();
      // Used at a moment the database fails: the registration has happened, so no error.
      const failing = new PreauthSessions({ ttlMs: 1000, max: 10, clock, shared: { put: async () => undefined, get: async () => undefined, drop: () => Promise.reject(new Error("down")) } });
      await expect(failing.end("x1@anon.example.test/r")).resolves.toBeUndefined();
      await a.share("x3@anon.example.test/r", "later");
      clock.advance(1001);
      expect(await b.lookup("x3@anon.example.test/r")).toBeUndefined();
    } finally {
      await stores.close();
    }
  });
});
