// Protocol vocabulary, grouped by specification.
export const NS = {
  // RFC 6120
  STANZAS: "urn:ietf:params:xml:ns:xmpp-stanzas",
  // XEP-0004: Data Forms
  DATA_FORMS: "jabber:x:data",
  // XEP-0030: Service Discovery
  DISCO_INFO: "http://jabber.org/protocol/disco#info",
  DISCO_ITEMS: "http://jabber.org/protocol/disco#items",
  // XEP-0050: Ad-Hoc Commands
  COMMANDS: "http://jabber.org/protocol/commands",
  // XEP-0077: In-Band Registration
  REGISTER: "jabber:iq:register",
  // XEP-0092: Software Version
  VERSION: "jabber:iq:version",
  // XEP-0133: Service Administration
  ADMIN: "http://jabber.org/protocol/admin",
  // XEP-0199: XMPP Ping
  PING: "urn:xmpp:ping",
  // RFC 6121
  ROSTER: "jabber:iq:roster",
  // XEP-0356: Privileged Entity (v0.4 is :2; ejabberd 23.01 still sends :1)
  PRIVILEGE: "urn:xmpp:privilege:2",
  PRIVILEGE_1: "urn:xmpp:privilege:1",
  // XEP-0401: the invite commands' namespace (also the 0.3.0 stream feature) and their result forms
  INVITE: "urn:xmpp:invite",
  INVITATION_FORM: "urn:xmpp:invite#invitation",
  // XEP-0379 / XEP-0401 0.3.0 / XEP-0445: pre-authenticated registration and subscription
  PARS: "urn:xmpp:pars:0",
  // XEP-0445: the stream feature of pre-authenticated in-band registration
  IBR_TOKEN: "urn:xmpp:ibr-token:0",
  // This project's server bridge (prosody/mod_xmpp_invites.lua; see src/xmpp/bridge.ts)
  BRIDGE: "urn:xmpp-invites:bridge:0",
} as const;
