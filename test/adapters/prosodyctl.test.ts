import { describe, expect, it } from "vitest";
import { luaString, parseShellOutput } from "../../src/adapters/server/prosodyctl.js";

describe("prosodyctl shell adapter, without a server", () => {
  it("quotes any text as a Lua string that cannot break out", () => {
    expect(luaString("alice")).toBe('"alice"');
    expect(luaString('a"b\\c\n')).toBe('"a\\034b\\092c\\010"');
    expect(luaString("zoë")).toBe('"zo\\195\\171"');
    expect(luaString('"); os.exit(); --')).not.toMatch(/[^\\]"[^"]*"/);
  });

  it("reads one result per command from the shell's transcript", () => {
    const transcript = [
      "banner line", "", "prosody> user:create(\"a\")", "| OK: User created",
      "prosody> user:create(\"a\")", "! Error: User exists",
      "prosody> >return 1", "| Result: roster-ok",
      "prosody> ",
    ].join("\n");
    expect(parseShellOutput(transcript, 3)).toEqual([
      { ok: true, text: "| OK: User created" },
      { ok: false, text: "User exists" },
      { ok: true, text: "| Result: roster-ok" },
    ]);
  });

  it("a transcript cut short means the server did not answer", () => {
    expect(parseShellOutput("banner\nprosody> x\n| OK: done\n", 2)[1]).toMatchObject({ ok: false, unavailable: true });
    expect(parseShellOutput("Unable to connect to the server", 1)[0]).toMatchObject({ ok: false, unavailable: true });
  });
});
