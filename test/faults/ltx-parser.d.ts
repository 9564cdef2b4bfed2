// ltx's own SAX parser, which the raw test client uses to read a stream stanza by stanza.
declare module "ltx/lib/parsers/ltx.js" {
  import { EventEmitter } from "node:events";
  export default class LtxParser extends EventEmitter {
    write(data: string): void;
  }
}
