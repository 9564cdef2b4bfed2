// Side by side with Prosody's own invites (0.12 or 13) (mod_invites + mod_invites_register on c2s), on the
// same server: where Prosody is right the component answers the same, where it is wrong it does not.
// Reference: prosody-invites.md §2.3, §3.3 and §6 (#1, #2, #4).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import type { ProsodyServer } from "../../tools/demo/prosody.js";
import { xml } from "../../src/protocol/xml.js";
import { type Session, canLogin, login, redeemAnonymously } from "../helpers/clients.js";
import { stanza } from "../helpers/xml.js";
import { type Live, startLive } from "../helpers/live.js";
import { openRawStream, preauthPayload, registerPayload } from "../helpers/raw-stream.js";
import { rawClient } from "../faults/support.js";

let live: Live;
let server: ProsodyServer;
let app: App;

/** A token of Prosody's own mod_invites: the shell works on 0.12 and 13 (13 has no `prosodyctl mod_invites generate`). */
async function nativeToken(username?: string): Promise<string> {
  const target = username ? `${username}@${server.domain}` : server.domain;
  const { stdout } = await server.prosodyctl(["shell"], `invite:create_account("${target}")\n`);
  const token = /preauth=([A-Za-z0-9_-]+)/.exec(stdout)?.[1];
  if (!token) throw new Error(`no token in prosodyctl output: ${stdout}`);
  return token;
}

beforeAll(async () => {
  live = await startLive({ nativeInvites: true });
  ({ server, app } = live);
});

afterAll(() => live?.stop());

interface ErrorTriple { type: string | undefined; condition: string | undefined; text: string | undefined }

/** type, condition and text of Prosody's raw error reply. */
function nativeError(raw: string): ErrorTriple {
  const error = stanza([raw] as unknown as TemplateStringsArray).getChild("error");
  const condition = error?.getChildElements().find((child) => child.getNS() === "urn:ietf:params:xml:ns:xmpp-stanzas" && child.name !== "text");
  return { type: error?.attrs.type, condition: condition?.name, text: error?.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas") ?? undefined };
}

/** Sends `payload` to the component from `session`; "result" or the error's triple. */
async function toComponent(session: Session, payload: ReturnType<typeof xml>): Promise<"result" | ErrorTriple> {
  try {
    await session.iqCaller.request(xml("iq", { type: "set", to: server.componentDomain }, payload), 5000);
    return "result";
  } catch (err) {
    const { condition, text, element } = err as { condition?: string; text?: string; element?: { attrs: { type?: string } } };
    return { type: element?.attrs.type, condition, text: text || undefined };
  }
}

describe("Prosody's native invite registration vs. the component", () => {
  it("§3.3: the same error for a bad token (cancel/forbidden, same text)", async () => {
    const stream = await openRawStream(server.c2sPort, server.domain);
    const native = await stream.iq("p", preauthPayload("AAAAAAAAAAAAAAAAAAAAAAAA"));
    stream.close();
    expect(native.type).toBe("error");
    const prosody = nativeError(native.xml);
    expect(prosody).toEqual({ type: "cancel", condition: "forbidden", text: "The invite token is invalid or expired" });
    const ours = await redeemAnonymously(server, "AAAAAAAAAAAAAAAAAAAAAAAA", "nobody1", "pw-gnol-x-1234567");
    expect(ours.ok).toBe(false);
    if (!ours.ok) expect({ type: ours.type, condition: ours.condition, text: ours.text }).toEqual(prosody);
  });

  it("§3.3: the same error without a token in invite-only mode", async () => {
    const stream = await openRawStream(server.c2sPort, server.domain);
    const native = await stream.iq("r", registerPayload("notoken", "pw-notoken"));
    stream.close();
    const prosody = nativeError(native.xml);
    expect(prosody).toMatchObject({ condition: "not-acceptable", text: "Registration on this server is through invitation only" });
    const session = await login(server);
    try {
      expect(await toComponent(session, xml("query", { xmlns: "jabber:iq:register" }, xml("username", {}, "notoken"), xml("password", {}, "pw-nekoton-1234567")))).toEqual(prosody);
    } finally {
      await session.stop().catch(() => undefined);
    }
    expect(await canLogin(server, "notoken", "pw-nekoton-1234567")).toBe(false);
  });

  /** The answer as a person sees it: type, condition and text. */
  const answerOf = (xml: string) => ({
    type: /<error[^>]*type=['"](\w+)['"]/.exec(xml)?.[1],
    condition: /<([a-z-]+) xmlns=['"]urn:ietf:params:xml:ns:xmpp-stanzas['"]\/>/.exec(xml)?.[1],
    text: /<text[^>]*>([^<]*)<\/text>/.exec(xml)?.[1],
  });

  async function componentAnswers(steps: Array<{ id: string; payload: string }>): Promise<Array<ReturnType<typeof answerOf>>> {
    const client = await rawClient(server);
    try {
      const answers = [];
      for (const step of steps) {
        const reply = client.reply(step.id, 10_000);
        client.send(`<iq type='set' id='${step.id}' to='${server.componentDomain}'>${step.payload}</iq>`);
        answers.push(answerOf((await reply)?.toString() ?? ""));
      }
      return answers;
    } finally {
      client.close();
    }
  }

  async function nativeAnswers(steps: Array<{ id: string; payload: string }>): Promise<Array<ReturnType<typeof answerOf>>> {
    const stream = await openRawStream(server.c2sPort, server.domain);
    try {
      const answers = [];
      for (const step of steps) answers.push(answerOf((await stream.iq(step.id, step.payload)).xml));
      return answers;
    } finally {
      stream.close();
    }
  }

  it("§3.3: invalid token, then a password containing the username: the same answers, the invite refusal before any password rule", async () => {
    const steps = [
      { id: "p", payload: preauthPayload("AAAAAAAAAAAAAAAAAAAAAAAA") },
      { id: "r", payload: registerPayload("carol", "carol-and-more-123") },
    ];
    const native = await nativeAnswers(steps);
    expect(native).toEqual([
      { type: "cancel", condition: "forbidden", text: "The invite token is invalid or expired" },
      { type: "modify", condition: "not-acceptable", text: "Registration on this server is through invitation only" },
    ]);
    expect(await componentAnswers(steps)).toEqual(native);
    // The token inside the registration itself gets the token's refusal, not the password's.
    expect(await componentAnswers([{ id: "i", payload: registerPayload("carol", "carol-and-more-123").replace("<username>", `${preauthPayload("AAAAAAAAAAAAAAAAAAAAAAAA")}<username>`) }]))
      .toEqual([native[0]]);
  });

  it("§3.3: no token and a password containing the username: the same answer (invitation only)", async () => {
    const steps = [{ id: "r", payload: registerPayload("dave", "dave-and-more-1234") }];
    const native = await nativeAnswers(steps);
    expect(native).toEqual([{ type: "modify", condition: "not-acceptable", text: "Registration on this server is through invitation only" }]);
    expect(await componentAnswers(steps)).toEqual(native);
  });

  it("§6 #1: Prosody registers two accounts with one single-use token on one stream; the component one", async () => {
    const token = await nativeToken();
    const stream = await openRawStream(server.c2sPort, server.domain);
    expect((await stream.iq("p", preauthPayload(token))).type).toBe("result");
    expect((await stream.iq("r1", registerPayload("twice1", "pw-twice"))).type).toBe("result");
    expect((await stream.iq("r2", registerPayload("twice2", "pw-twice"))).type).toBe("result");
    stream.close();
    expect(await canLogin(server, "twice2", "pw-twice")).toBe(true); // Prosody's bug, reproduced

    // The same on one stream to the component: one preauth, then two registrations.
    const { invite, token: ours } = await app.invites.create();
    const session = await login(server);
    try {
      expect(await toComponent(session, xml("preauth", { xmlns: "urn:xmpp:pars:0", token: ours }))).toBe("result");
      const register = (username: string) => xml("query", { xmlns: "jabber:iq:register" }, xml("username", {}, username), xml("password", {}, "pw-gnol-once-1234567"));
      expect(await toComponent(session, register("once1"))).toBe("result");
      expect(await toComponent(session, register("once2"))).toMatchObject({ type: "modify", condition: "not-acceptable" });
    } finally {
      await session.stop().catch(() => undefined);
    }
    expect(await canLogin(server, "once1", "pw-gnol-once-1234567")).toBe(true);
    expect(await canLogin(server, "once2", "pw-gnol-once-1234567")).toBe(false);
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 1, pending: 0 });
  });

  it("§6 #2: parallel streams spend one Prosody token several times; the component's once", async () => {
    const token = await nativeToken();
    const streams = await Promise.all(Array.from({ length: 5 }, () => openRawStream(server.c2sPort, server.domain)));
    const preauths = await Promise.all(streams.map((s) => s.iq("p", preauthPayload(token))));
    expect(preauths.every((reply) => reply.type === "result")).toBe(true);
    const registrations = await Promise.all(streams.map((s, i) => s.iq("r", registerPayload(`nativerace${i}`, "pw-gnol-race-1234567"))));
    for (const s of streams) s.close();
    expect(registrations.filter((reply) => reply.type === "result").length).toBeGreaterThan(1);

    const { token: ours } = await app.invites.create();
    const outcomes = await Promise.all(Array.from({ length: 5 }, (_, i) => redeemAnonymously(server, ours, `ourrace${i}`, "pw-gnol-race-1234567")));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
  });

  it("§6 #4: a fixed-username Prosody invite registers another name; the component refuses it", async () => {
    const token = await nativeToken("fixedzoe");
    const stream = await openRawStream(server.c2sPort, server.domain);
    await stream.iq("p", preauthPayload(token));
    expect((await stream.iq("r", registerPayload("notzoe", "pw-notzoe"))).type).toBe("result");
    stream.close();

    const { token: ours } = await app.invites.create({ username: "ourzoe" });
    expect(await redeemAnonymously(server, ours, "notourzoe", "pw-gnol-1234567")).toMatchObject({ ok: false, condition: "not-acceptable" });
  });
});
