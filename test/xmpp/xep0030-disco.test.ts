import { afterEach, describe, expect, it } from "vitest";
import { type Harness, createHarness } from "../helpers/xmpp-harness.js";
import { errorOf, stanza } from "../helpers/xml.js";

let h: Harness;
afterEach(() => h?.close());

const features = (reply: import("ltx").Element) => reply.getChild("query")?.getChildren("feature").map((f) => f.attrs.var) ?? [];

describe("XEP-0030 at the component", () => {
  it("Example 1/2: disco#info lists the identity and the features really served", async () => {
    h = createHarness();
    const reply = await h.iq("get", stanza`<query xmlns="http://jabber.org/protocol/disco#info"/>`);
    expect(reply.getChild("query")?.getChild("identity")?.attrs).toMatchObject({ category: "component", type: "generic" });
    expect(features(reply)).toEqual(expect.arrayContaining(["jabber:iq:register", "urn:xmpp:pars:0", "urn:xmpp:ping", "http://jabber.org/protocol/disco#info"]));
  });

  it("does not advertise registration when it is not possible (Prosody does, §6 #8)", async () => {
    h = createHarness({ registration_invite_only: false, allow_registration: false });
    const reply = await h.iq("get", stanza`<query xmlns="http://jabber.org/protocol/disco#info"/>`);
    expect(features(reply)).not.toContain("jabber:iq:register");
    expect(features(reply)).not.toContain("urn:xmpp:pars:0");
  });

  it("§3.2: an unknown node is item-not-found", async () => {
    h = createHarness();
    expect(errorOf(await h.iq("get", stanza`<query xmlns="http://jabber.org/protocol/disco#info" node="nope"/>`)).condition).toBe("item-not-found");
  });

  it("disco#items answers with an empty list", async () => {
    h = createHarness();
    const reply = await h.iq("get", stanza`<query xmlns="http://jabber.org/protocol/disco#items"/>`);
    expect(reply.attrs.type).toBe("result");
    expect(reply.getChild("query")?.children).toHaveLength(0);
  });

  it("XEP-0199: answers a ping", async () => {
    h = createHarness();
    expect((await h.iq("get", stanza`<ping xmlns="urn:xmpp:ping"/>`)).attrs.type).toBe("result");
  });
});
