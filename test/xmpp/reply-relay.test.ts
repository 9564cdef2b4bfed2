// Several instances on one component name (ejabberd balances stanzas between their connections):
// each tags its request ids, passes on replies tagged by another instance, and takes the replies
// handed over to it as if its own stream had carried them.
import { describe, expect, it } from "vitest";
import { xml } from "../../src/protocol/xml.js";
import { type ReplyRelay, createComponentConnection } from "../../src/xmpp/component.js";
import { captureLog } from "../helpers/logger.js";
import { COMPONENT } from "../helpers/xmpp-harness.js";
import { stanza } from "../helpers/xml.js";

function relayed() {
  const handed: Array<{ tag: string; stanza: string }> = [];
  let listener: (text: string) => void = () => undefined;
  const relay: ReplyRelay = { tag: "a1", send: (tag, text) => handed.push({ tag, stanza: text }), onMessage: (l) => { listener = l; } };
  const logs = captureLog();
  const connection = createComponentConnection({ service: "xmpp://127.0.0.1:5347", domain: COMPONENT, secret: "test-secret", log: logs.log, relay });
  const { xmpp } = connection;
  const written: string[] = [];
  xmpp._jid(COMPONENT);
  xmpp.status = "online";
  xmpp.write = async (data: string) => { written.push(data); };
  return { connection, xmpp, handed, written, logs, handOver: (text: string) => listener(text) };
}

describe("the reply relay", () => {
  it("a request's id carries this instance's tag; its reply handed over by another instance resolves it", async () => {
    const { connection, written, handOver } = relayed();
    const pending = connection.request(xml("iq", { type: "get", to: "example.test" }, xml("ping", { xmlns: "urn:xmpp:ping" })), 2000);
    await new Promise((resolve) => setImmediate(resolve));
    const id = stanza`${written.join("")}`.attrs.id ?? "";
    expect(id).toMatch(/^a1\./);
    handOver(`<iq type="result" id="${id}" from="example.test" to="${COMPONENT}"/>`);
    expect((await pending).attrs).toMatchObject({ type: "result", id });
  });

  it("a reply tagged by another instance goes to it; an unreadable hand-over is logged, not thrown", () => {
    const { xmpp, handed, handOver, logs } = relayed();
    xmpp._onElement(stanza`<iq type="result" id="b2.0123" from="example.test" to="${COMPONENT}"/>`);
    expect(handed).toEqual([{ tag: "b2", stanza: expect.stringContaining('id="b2.0123"') as unknown }]);
    expect(() => handOver("<iq")).not.toThrow();
    expect(logs.lines()).toContainEqual(expect.objectContaining({ level: 40, msg: "could not take a reply handed over by another instance" }));
  });
});
