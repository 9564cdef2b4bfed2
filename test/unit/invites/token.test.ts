import { describe, expect, it } from "vitest";
import { TOKEN_LENGTH, generateInviteId, generateToken, hashToken, isWellFormedToken } from "../../../src/invites/token.js";

describe("invite tokens", () => {
  it("are URI-safe letters and digits only, with at least 128 bits of entropy", () => {
    const token = generateToken();
    expect(token).toMatch(/^[A-Za-z0-9]+$/);
    expect(token).toHaveLength(TOKEN_LENGTH);
    expect(TOKEN_LENGTH * Math.log2(62)).toBeGreaterThanOrEqual(128);
  });

  it("do not repeat and use the whole alphabet", () => {
    const tokens = new Set(Array.from({ length: 5000 }, generateToken));
    expect(tokens.size).toBe(5000);
    const seen = new Set([...tokens].join(""));
    expect(seen.size).toBe(62);
  });

  it("are stored as a SHA-256 hash that does not contain the token", () => {
    const token = generateToken();
    const hash = hashToken(token);
    expect(hash).toHaveLength(32);
    expect(hash.toString("latin1")).not.toContain(token);
    expect(hashToken(token).equals(hash)).toBe(true);
  });

  it("are shape-checked before any lookup", () => {
    expect(isWellFormedToken(generateToken())).toBe(true);
    expect(isWellFormedToken("short")).toBe(false);
    expect(isWellFormedToken("abc-def_ghi=jkl+mnop/qrs")).toBe(false);
    expect(isWellFormedToken("' OR 1=1 --aaaaaaaaaaaa")).toBe(false);
  });

  it("have a short non-secret id without look-alike characters", () => {
    const id = generateInviteId();
    expect(id).toMatch(/^[a-km-np-z2-9]{8}$/);
  });
});
