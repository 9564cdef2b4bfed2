import { describe, expect, it } from "vitest";
import { inviteUri, parseInviteUri } from "../../../src/invites/domain/uri.js";

describe("invite URIs", () => {
  it("XEP-0445 §2: account invite lets the invitee choose the name", () => {
    expect(inviteUri({ type: "account", username: null, inviter: null, allowRegistration: true }, "T0k3n", "example.org")).toBe("xmpp:example.org?register;preauth=T0k3n");
  });

  it("XEP-0445 §2: fixed-username invite names the account", () => {
    expect(inviteUri({ type: "account", username: "juliet", inviter: null, allowRegistration: true }, "T0k3n", "example.org")).toBe("xmpp:juliet@example.org?register;preauth=T0k3n");
  });

  it("RFC 5122: escapes what a URI cannot hold in the node", () => {
    expect(inviteUri({ type: "account", username: "zoë", inviter: null, allowRegistration: true }, "T", "example.org")).toBe("xmpp:zo%C3%AB@example.org?register;preauth=T");
  });

  it("XEP-0401 §12: contact invite is a roster URI of the inviter, with ;ibr=y when it may register", () => {
    expect(inviteUri({ type: "contact", username: null, inviter: "romeo@example.org", allowRegistration: false }, "T", "example.org")).toBe("xmpp:romeo@example.org?roster;preauth=T");
    expect(inviteUri({ type: "contact", username: null, inviter: "romeo@example.org", allowRegistration: true }, "T", "example.org")).toBe("xmpp:romeo@example.org?roster;preauth=T;ibr=y");
  });

  it("a password reset names the account, like a fixed-username invite (as Prosody)", () => {
    expect(inviteUri({ type: "reset", username: "alice", inviter: null, allowRegistration: false }, "T", "example.org")).toBe("xmpp:alice@example.org?register;preauth=T");
  });

  it("parses what it builds", () => {
    const parsed = parseInviteUri("xmpp:zo%C3%AB@example.org?register;preauth=T0k3n");
    expect(parsed?.jid).toBe("zoë@example.org");
    expect(parsed?.action).toBe("register");
    expect(parsed?.token).toBe("T0k3n");
    expect(parseInviteUri("xmpp:alice@example.org?roster;preauth=abc;ibr=y")?.params.get("ibr")).toBe("y");
  });

  it("rejects URIs without a token", () => {
    expect(parseInviteUri("xmpp:example.org?register")).toBeUndefined();
    expect(parseInviteUri("https://example.org/invite/abc")).toBeUndefined();
  });
});
