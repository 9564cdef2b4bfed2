// The server bridge (urn:xmpp-invites:bridge:0) at stanza level: who may ask, what a refusal looks
// like, and how discovery reads the server's disco#info. The live round trip is in
// test/integration/bridge.test.ts.
import { EventEmitter } from "node:events";
import type { Component } from "@xmpp/component";
import { afterEach, describe, expect, it } from "vitest";
import { BridgeState, bridgeSubscriptionCheck, discoverBridge, watchBridge } from "../../src/xmpp/bridge.js";
import { xml } from "../../src/protocol/xml.js";
import { captureLog } from "../helpers/logger.js";
import { until } from "../helpers/wait.js";
import { errorOf, stanza } from "../helpers/xml.js";
import { DOMAIN, type Harness, createHarness } from "../helpers/xmpp-harness.js";

let h: Harness;
afterEach(() => h?.close());

const NS = "urn:xmpp-invites:bridge:0";
const claimOf = (token: string, username = "alice", exists = "false") =>
  xml("claim", { xmlns: NS, token, username, exists }, xml("password", {}, "0987654321!?"));

describe("bridge requests", () => {
  it("the server's domain claims, then consumes: the use is counted once", async () => {
    h = createHarness();
    const { invite, token } = await h.app.invites.create();
    const reply = await h.iq("set", claimOf(token), DOMAIN);
    expect(reply.attrs.type).toBe("result");
    const claim = reply.getChild("claim", NS);
    expect(claim?.attrs.action).toBe("create");
    expect(await h.app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 1 });
    expect((await h.iq("set", xml("consume", { xmlns: NS, claim: claim?.attrs.id, username: "alice" }), DOMAIN)).attrs.type).toBe("result");
    expect(await h.app.invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
    const again = await h.iq("set", xml("consume", { xmlns: NS, claim: claim?.attrs.id, username: "alice" }), DOMAIN);
    expect(errorOf(again)).toMatchObject({ type: "cancel", condition: "item-not-found" });
    expect(again.getChild("error")?.getChild("refused", NS)).toBeDefined();
  });

  it.each([
    ["a user", `mallory@${DOMAIN}/phone`],
    ["a user's bare JID", `mallory@${DOMAIN}`],
    ["an anonymous session", "x1@anon.example.test/res"],
    ["another server", "example.net"],
    ["the domain with a resource", `${DOMAIN}/x`],
  ])("is refused from %s: auth/forbidden, no claim made", async (_who, from) => {
    h = createHarness();
    const { invite, token } = await h.app.invites.create();
    expect(errorOf(await h.iq("set", claimOf(token), from))).toMatchObject({ type: "auth", condition: "forbidden" });
    expect(await h.app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
  });

  it("a refusal carries the registry's triple and the refused marker (here: Prosody's bad-token triple)", async () => {
    h = createHarness();
    const reply = await h.iq("set", stanza`<check xmlns="${NS}" token="AAAAAAAAAAAAAAAAAAAAAAAA"/>`, DOMAIN);
    expect(errorOf(reply)).toEqual({ type: "cancel", condition: "forbidden", text: "The invite token is invalid or expired" });
    expect(reply.getChild("error")?.getChild("refused", NS)).toBeDefined();
  });

  it("a claim without a password or username is refused, not crashed on", async () => {
    h = createHarness();
    const { token } = await h.app.invites.create();
    const noPassword = await h.iq("set", xml("claim", { xmlns: NS, token, username: "alice", exists: "false" }), DOMAIN);
    expect(errorOf(noPassword)).toMatchObject({ type: "modify", condition: "not-acceptable", text: "Password: Required value missing" });
    const noUser = await h.iq("set", xml("claim", { xmlns: NS, token }, xml("password", {}, "0987654321!?")), DOMAIN);
    expect(errorOf(noUser)).toMatchObject({ condition: "not-acceptable", text: "Username: Required value missing" });
  });

  it("with bridge: none, the requests are not served", async () => {
    h = createHarness({ bridge: "none" });
    const { token } = await h.app.invites.create();
    expect(errorOf(await h.iq("set", claimOf(token), DOMAIN))).toMatchObject({ type: "cancel", condition: "service-unavailable" });
  });

  it("never logs the token or the password", async () => {
    h = createHarness();
    const { token } = await h.app.invites.create();
    await h.iq("set", claimOf(token), DOMAIN);
    expect(h.logs.text()).not.toContain(token);
    expect(h.logs.text()).not.toContain("0987654321!?");
  });
});

describe("bridge discovery (disco#info on the server's domain)", () => {
  const infoWith = (...children: ReturnType<typeof xml>[]) => async () =>
    xml("iq", { type: "result" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }, ...children));
  const form = (component: string) => xml("x", { xmlns: "jabber:x:data", type: "result" },
    xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, NS)),
    xml("field", { var: "component" }, xml("value", {}, component)));
  const options = { domain: DOMAIN, componentDomain: "invites.example.test", timeoutMs: 1000 };

  it("present when the feature is listed for this component; elsewhere when for another; absent without it", async () => {
    expect(await discoverBridge(infoWith(xml("feature", { var: NS }), form("invites.example.test")), options)).toBe("present");
    expect(await discoverBridge(infoWith(xml("feature", { var: NS }), form("other.example.test")), options)).toBe("elsewhere");
    expect(await discoverBridge(infoWith(xml("feature", { var: "urn:xmpp:ping" })), options)).toBe("absent");
  });

  it("a question at connect that got no answer is asked once more when told to (instances connecting one after another to ejabberd); else it stays unknown", async () => {
    const watch = (askAgainAfterMs?: number) => {
      const xmpp = new EventEmitter();
      const state = new BridgeState("auto");
      let asked = 0;
      const request = async () => {
        asked += 1;
        if (asked === 1) throw new Error("no answer within 1 s");
        return infoWith(xml("feature", { var: NS }), form("invites.example.test"))();
      };
      const logs = captureLog();
      watchBridge({ xmpp: xmpp as unknown as Component, request, state, ...options, log: logs.log, askAgainAfterMs });
      xmpp.emit("online");
      return { state, asked: () => asked, logs };
    };
    const again = watch(10);
    await until(() => again.state.discovery === "present", 2000, "the second answer");
    expect(again.asked()).toBe(2);
    const once = watch();
    await until(() => once.logs.text().includes("could not ask"), 2000, "the warning");
    expect([once.asked(), once.state.discovery]).toEqual([1, "unknown"]);
  });

  it("what the landing page believes, per mode", () => {
    const state = (mode: "auto" | "prosody" | "none", discovery: "unknown" | "present" | "absent" | "elsewhere") => {
      const s = new BridgeState(mode);
      s.discovery = discovery;
      return s.works;
    };
    expect([state("auto", "unknown"), state("auto", "present"), state("auto", "absent")]).toEqual([false, true, false]);
    expect([state("prosody", "unknown"), state("prosody", "present"), state("prosody", "absent"), state("prosody", "elsewhere")]).toEqual([true, true, false, false]);
    expect(state("none", "present")).toBe(false);
  });
});

describe("asking the server's bridge how a contact claim ended (claim settlement)", () => {
  const options = { domain: DOMAIN, componentDomain: "invites.example.test", timeoutMs: 1000, isOnline: () => true };

  it("asks the server's domain about the inviter's roster item and reads approved='true|false'", async () => {
    const asked: string[] = [];
    const answering = (approved: string) => bridgeSubscriptionCheck({
      ...options,
      request: async (stanza) => {
        asked.push(stanza.toString());
        return xml("subscription", { xmlns: NS, approved });
      },
    });
    expect(await answering("true").approved(`romeo@${DOMAIN}`, "juliet@example.net")).toEqual({ approved: true });
    expect(await answering("false").approved(`romeo@${DOMAIN}`, "juliet@example.net")).toEqual({ approved: false });
    expect(asked[0]).toBe(`<iq type="get" to="${DOMAIN}" from="invites.example.test"><subscription xmlns="${NS}" inviter="romeo@${DOMAIN}" jid="juliet@example.net"/></iq>`);
  });

  it("no answer, an error (an older module), an odd answer or no connection: unknown, never a guess", async () => {
    const failing = bridgeSubscriptionCheck({ ...options, request: () => Promise.reject(Object.assign(new Error("service-unavailable"), { condition: "service-unavailable" })) });
    expect(await failing.approved(`romeo@${DOMAIN}`, "juliet@example.net")).toEqual({ approved: "unknown", detail: "service-unavailable" });
    const odd = bridgeSubscriptionCheck({ ...options, request: async () => xml("subscription", { xmlns: NS }) });
    expect((await odd.approved(`romeo@${DOMAIN}`, "juliet@example.net")).approved).toBe("unknown");
    let called = false;
    const offline = bridgeSubscriptionCheck({ ...options, isOnline: () => false, request: async () => { called = true; return xml("subscription", { xmlns: NS, approved: "false" }); } });
    expect((await offline.approved(`romeo@${DOMAIN}`, "juliet@example.net")).approved).toBe("unknown");
    expect(called).toBe(false);
  });
});
