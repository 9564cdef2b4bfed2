// A client stream written by hand, as a brand-new user's client opens it: unauthenticated (the only
// place where a server's own in-band or invite registration, XEP-0401 0.3.0 / XEP-0445 on c2s, can be
// exercised) or logged in anonymously (SASL ANONYMOUS, then bind) to reach a component. One small
// implementation for every path the benchmarks compare, so no path pays for a heavier client.
import { connect, type Socket } from "node:net";

export interface RawStream {
  /** The server's first <stream:features/> as sent, e.g. to see what registration it offers. */
  readonly features: string;
  /** The bound full JID after a login; undefined on an unauthenticated stream. */
  readonly jid: string | undefined;
  /** Sends an IQ (to the server unless `to` is given); resolves with the reply's type ("result" or "error") and raw text. */
  iq(id: string, payload: string, type?: "get" | "set", to?: string): Promise<{ type: string; xml: string }>;
  close(): void;
}

export interface RawStreamOptions {
  /** Log in with SASL ANONYMOUS and bind a resource before resolving. */
  readonly anonymous?: boolean;
  /** Log in with SASL PLAIN (loopback test servers only) and bind a resource before resolving. */
  readonly plain?: { readonly username: string; readonly password: string };
}

const SASL = "urn:ietf:params:xml:ns:xmpp-sasl";

export async function openRawStream(port: number, domain: string, options: RawStreamOptions = {}): Promise<RawStream> {
  const socket: Socket = connect(port, "127.0.0.1");
  socket.setNoDelay(true);
  socket.setEncoding("utf8");
  let buffer = "";
  let waiting: { pattern: RegExp; done: (match: string) => void } | undefined;
  let failed: Error | undefined;
  let fail: (err: Error) => void = () => undefined;

  // Resolves with the first text matching `pattern`; everything up to it is dropped from the buffer.
  const next = (pattern: RegExp) => new Promise<string>((resolve, reject) => {
    if (failed) return reject(failed);
    waiting = { pattern, done: resolve };
    fail = reject;
    check();
  });
  const check = () => {
    if (!waiting) return;
    const match = waiting.pattern.exec(buffer);
    if (!match) return;
    buffer = buffer.slice(match.index + match[0].length);
    const { done } = waiting;
    waiting = undefined;
    done(match[0]);
  };
  socket.on("data", (chunk: string) => {
    buffer += chunk;
    check();
  });
  const onError = (err: Error) => {
    failed = err;
    fail(err);
  };
  socket.on("error", onError);
  socket.on("close", () => onError(new Error("the server closed the stream")));

  const header = `<?xml version='1.0'?><stream:stream to='${domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`;
  const features = /<stream:features[\s\S]*?<\/stream:features>/;
  const reply = (id: string) => new RegExp(`<iq[^>]*id=['"]${id}['"][^>]*?(?:/>|>[\\s\\S]*?</iq>)`);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.write(header);
  const offered = await next(features);

  let jid: string | undefined;
  if (options.anonymous || options.plain) {
    const { plain } = options;
    socket.write(plain
      ? `<auth xmlns='${SASL}' mechanism='PLAIN'>${Buffer.from(`\0${plain.username}\0${plain.password}`).toString("base64")}</auth>`
      : `<auth xmlns='${SASL}' mechanism='ANONYMOUS'/>`);
    const outcome = await next(/<(success|failure)[\s\S]*?(?:\/>|<\/\1>)/);
    if (outcome.startsWith("<failure")) throw new Error(`login refused: ${outcome}`);
    socket.write(header);
    await next(features);
    socket.write(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
    const bound = await next(reply("bind"));
    jid = /<jid>([^<]+)<\/jid>/.exec(bound)?.[1];
    if (jid === undefined) throw new Error(`bind failed: ${bound}`);
  }

  return {
    features: offered,
    jid,
    async iq(id, payload, type = "set", to) {
      const answer = next(reply(id));
      socket.write(`<iq type='${type}' id='${id}'${to === undefined ? "" : ` to='${to}'`}>${payload}</iq>`);
      const xml = await answer;
      return { type: /type=['"](\w+)['"]/.exec(xml)?.[1] ?? "", xml };
    },
    close() {
      socket.removeAllListeners("close");
      socket.on("error", () => undefined);
      socket.end("</stream:stream>");
      socket.destroy();
    },
  };
}

export const preauthPayload = (token: string) => `<preauth xmlns='urn:xmpp:pars:0' token='${token}'/>`;
export const registerPayload = (username: string, password: string) =>
  `<query xmlns='jabber:iq:register'><username>${username}</username><password>${password}</password></query>`;
