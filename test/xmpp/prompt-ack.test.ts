// The component answers every chunk from the server with a write in the same turn of the event
// loop, its own or one byte of whitespace (RFC 6120 §4.6.1), so the ACK never waits for a timer.
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { acknowledgePromptly } from "../../src/xmpp/component.js";

function fakeSocket() {
  const emitter = new EventEmitter();
  const writes: string[] = [];
  const socket = {
    bytesWritten: 0,
    write(data: string) {
      writes.push(data);
      socket.bytesWritten += Buffer.byteLength(data);
      return true;
    },
    on(event: "data", listener: () => void) {
      emitter.on(event, listener);
      return socket;
    },
  };
  return { socket, writes, receive: () => emitter.emit("data", "<iq/>") };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("prompt acknowledgement of the server's data", () => {
  it("RFC 6120 §4.6.1: data that leaves nothing to say is answered with one space", async () => {
    const { socket, writes, receive } = fakeSocket();
    acknowledgePromptly(socket, () => true);
    receive();
    receive();
    await nextTurn();
    expect(writes).toEqual([" "]);
  });

  it("a reply written in the same turn (after promises settle) carries the ACK: no space", async () => {
    const { socket, writes, receive } = fakeSocket();
    acknowledgePromptly(socket, () => true);
    receive();
    await Promise.resolve();
    socket.write("<iq type='result'/>");
    await nextTurn();
    expect(writes).toEqual(["<iq type='result'/>"]);
  });

  it("each later chunk is answered again; nothing is written while the stream is not online", async () => {
    const { socket, writes, receive } = fakeSocket();
    let online = true;
    acknowledgePromptly(socket, () => online);
    receive();
    await nextTurn();
    receive();
    await nextTurn();
    online = false;
    receive();
    await nextTurn();
    expect(writes).toEqual([" ", " "]);
  });
});
