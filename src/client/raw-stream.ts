// An unauthenticated client stream, as a brand-new user's client opens it: the only place where
// Prosody's own invite registration (XEP-0401 0.3.0 / XEP-0445 on c2s) can be exercised.
import { connect, type Socket } from "node:net";

export interface RawStream {
  /** The server's <stream:features/> as sent, e.g. to see what registration it offers. */
  readonly features: string;
  /** Sends an IQ and resolves with the reply's type ("result" or "error") and raw text. */
  iq(id: string, payload: string, type?: "get" | "set"): Promise<{ type: string; xml: string }>;
  close(): void;
}

export function openRawStream(port: number, domain: string): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    socket.setEncoding("utf8");
    let buffer = "";
    let waiting: { id: string; done: (reply: { type: string; xml: string }) => void } | undefined;
    let opened = false;
    const check = () => {
      if (!opened && buffer.includes("</stream:features>")) {
        opened = true;
        stream.features = /<stream:features[\s\S]*?<\/stream:features>/.exec(buffer)?.[0] ?? "";
        resolve(stream);
      }
      if (!waiting) return;
      const match = new RegExp(`<iq[^>]*id=['"]${waiting.id}['"][^>]*?(?:/>|>[\\s\\S]*?</iq>)`).exec(buffer);
      if (match) {
        const type = /type=['"](\w+)['"]/.exec(match[0])?.[1] ?? "";
        const { done } = waiting;
        waiting = undefined;
        done({ type, xml: match[0] });
      }
    };
    const stream: RawStream & { features: string } = {
      features: "",
      iq(id, payload, type = "set") {
        return new Promise((done) => {
          waiting = { id, done };
          socket.write(`<iq type='${type}' id='${id}'>${payload}</iq>`);
          check();
        });
      },
      close() {
        socket.end("</stream:stream>");
        socket.destroy();
      },
    };
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      check();
    });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.write(`<?xml version='1.0'?><stream:stream to='${domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);
    });
  });
}

export const preauthPayload = (token: string) => `<preauth xmlns='urn:xmpp:pars:0' token='${token}'/>`;
export const registerPayload = (username: string, password: string) =>
  `<query xmlns='jabber:iq:register'><username>${username}</username><password>${password}</password></query>`;
