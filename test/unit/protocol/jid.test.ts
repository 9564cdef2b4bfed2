// RFC 7622 §3.1: how a JID string splits into localpart, domainpart and resourcepart.
import { describe, expect, it } from "vitest";
import { isAccountJid, localpartOf, parseJid } from "../../../src/protocol/jid.js";

describe("RFC 7622 §3.1 JID parsing", () => {
  it("splits local@domain/resource, the resource starting at the first slash", () => {
    expect(parseJid("juliet@example.com/foo/bar@baz")).toEqual({ local: "juliet", domain: "example.com", resource: "foo/bar@baz" });
    expect(parseJid("example.com/res@ource")).toEqual({ local: "", domain: "example.com", resource: "res@ource" });
    expect(parseJid("invites.example.com")).toEqual({ local: "", domain: "invites.example.com", resource: "" });
  });

  it("refuses empty parts that are present", () => {
    for (const bad of ["", "@example.com", "juliet@", "juliet@example.com/", "/res"]) expect(parseJid(bad)).toBeUndefined();
  });

  it("an account JID is bare and has a localpart, optionally on one domain", () => {
    expect(isAccountJid("juliet@example.com")).toBe(true);
    expect(isAccountJid("juliet@example.com", "example.com")).toBe(true);
    expect(isAccountJid("juliet@example.org", "example.com")).toBe(false);
    expect(isAccountJid("juliet@example.com/balcony")).toBe(false);
    expect(isAccountJid("example.com")).toBe(false);
    expect(localpartOf("juliet@example.com/balcony")).toBe("juliet");
    expect(localpartOf("example.com")).toBe("");
  });
});
