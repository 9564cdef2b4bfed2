import { describe, expect, it } from "vitest";
import { TOKEN_LENGTH, generateInviteId, generateToken, hashToken, isWellFormedToken } from "../../../src/invites/domain/token.js";

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

  it("are hashed with SHA-256 of their UTF-8 bytes (FIPS 180-2 test vectors), the same way every time", () => {
    expect(hashToken("abc").toString("hex")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hashToken("").toString("hex")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const token = generateToken();
    expect(hashToken(token).equals(hashToken(token))).toBe(true);
    expect(hashToken(token).equals(hashToken(generateToken()))).toBe(false);
    // That the database keeps only this hash is tested on the file itself (service.test.ts).
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
