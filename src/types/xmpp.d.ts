// Narrow hand-written types for the parts of ltx, @xmpp/component (0.13, CommonJS) and
// @xmpp/client (0.14) that this project calls. Neither package ships its own types.

declare module "ltx" {
  export type Node = Element | string;
  export interface Attrs {
    [name: string]: string | undefined;
    xmlns?: string;
    from?: string;
    to?: string;
    id?: string;
    type?: string;
    var?: string;
    node?: string;
    token?: string;
    status?: string;
    sessionid?: string;
    action?: string;
  }
  export class Element {
    constructor(name: string, attrs?: Record<string, string | undefined>);
    name: string;
    attrs: Attrs;
    children: Node[];
    parent: Element | null;
    is(name: string, xmlns?: string): boolean;
    getName(): string;
    getNS(): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    getText(): string;
    append(...nodes: Node[]): Element;
    toString(): string;
  }
  export function parse(xml: string): Element;
  export function equal(a: Element, b: Element): boolean;
}

declare module "@xmpp/component" {
  import type { EventEmitter } from "node:events";
  import type { Socket } from "node:net";
  import type { Element } from "ltx";

  export interface JID {
    local: string;
    domain: string;
    resource: string;
    bare(): JID;
    toString(): string;
    equals(other: JID): boolean;
  }
  export type XmlAttrs = Record<string, string | number | undefined> | null;
  export type XmlChild = Element | string | undefined | null | false | readonly XmlChild[];
  export function xml(name: string, attrs?: XmlAttrs, ...children: XmlChild[]): Element;
  export function jid(address: string): JID;

  export interface StanzaContext {
    stanza: Element;
    entity: Component;
    name: string;
    id: string;
    type: string;
    from: JID | null;
    to: JID | null;
  }
  export interface IqContext extends StanzaContext {
    /** The single child of the IQ, set by the iq callee. */
    element: Element;
  }
  export type Next = () => Promise<unknown>;
  export type IqHandler = (ctx: IqContext, next: Next) => unknown;

  export interface Reconnect extends EventEmitter {
    delay: number;
    start(): void;
    stop(): void;
  }
  export interface Component extends EventEmitter {
    status: string;
    jid: JID | null;
    socket: Socket | null;
    options: { service: string; domain: string };
    timeout: number;
    start(): Promise<JID>;
    stop(): Promise<unknown>;
    send(element: Element): Promise<void>;
    write(data: string): Promise<void>;
    reconnect: Reconnect;
    middleware: { use(fn: (ctx: StanzaContext, next: Next) => unknown): void };
    iqCaller: { request(stanza: Element, timeout?: number): Promise<Element> };
    iqCallee: { get(ns: string, name: string, handler: IqHandler): void; set(ns: string, name: string, handler: IqHandler): void };
    _jid(address: string): JID;
    /** Where the parser hands over each top-level element. */
    _onElement(element: Element): void;
  }
  export function component(options: { service: string; domain: string; password: string }): Component;
}

declare module "@xmpp/client" {
  import type { EventEmitter } from "node:events";
  import type { Socket } from "node:net";
  import type { Element } from "ltx";

  export interface ClientJID {
    local: string;
    domain: string;
    resource: string;
    toString(): string;
  }
  export type Authenticate = (credentials: { username: string; password: string }, mechanism: string) => Promise<void>;
  export interface ClientOptions {
    service: string;
    domain: string;
    resource?: string;
    username?: string;
    password?: string;
    credentials?: (authenticate: Authenticate, mechanisms: string[]) => Promise<void>;
  }
  export interface Client extends EventEmitter {
    status: string;
    jid: ClientJID | null;
    socket: Socket | null;
    start(): Promise<ClientJID>;
    stop(): Promise<unknown>;
    send(element: Element): Promise<void>;
    write(data: string): Promise<void>;
    reconnect: { stop(): void };
    iqCaller: { request(stanza: Element, timeout?: number): Promise<Element> };
  }
  export function client(options: ClientOptions): Client;
  export function xml(name: string, attrs?: Record<string, string | number | undefined> | null, ...children: Array<Element | string | undefined>): Element;
}
