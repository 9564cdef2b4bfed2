// The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.
import { ERRORS } from "../errors.js";
import { INVITE_KINDS, INVITE_TYPES } from "../invites/domain/invite.js";

const invite = {
  type: "object",
  properties: {
    id: { type: "string", description: "Short, non-secret id" },
    type: { type: "string", enum: [...INVITE_TYPES] },
    kind: { type: "string", enum: [...INVITE_KINDS] },
    status: { type: "string", enum: ["active", "expired", "revoked", "used"] },
    username: { type: ["string", "null"] },
    inviter: { type: ["string", "null"] },
    allow_registration: { type: "boolean" },
    groups: { type: "array", items: { type: "string" } },
    source: { type: ["string", "null"] },
    note: { type: ["string", "null"] },
    created: { type: "string", format: "date-time" },
    expires: { type: "string", format: "date-time" },
    max_uses: { type: "integer" },
    uses: { type: "integer" },
    revoked: { type: ["string", "null"], format: "date-time" },
  },
  required: ["id", "type", "kind", "status", "created", "expires", "max_uses", "uses"],
} as const;

const error = {
  type: "object",
  properties: {
    error: {
      type: "object",
      properties: { code: { type: "string", enum: [...Object.keys(ERRORS), "bad-request", "payload-too-large", "unsupported-media-type"] }, message: { type: "string" } },
      required: ["code", "message"],
    },
  },
  required: ["error"],
} as const;

const accountRequest = {
  type: "object",
  properties: {
    id: { type: "string" },
    username: { type: "string" },
    message: { type: ["string", "null"] },
    status: { type: "string", enum: ["pending", "approved", "denied", "expired"] },
    created: { type: "string", format: "date-time" },
    expires: { type: "string", format: "date-time", description: "Until when it waits for an answer" },
    decided: { type: ["string", "null"], format: "date-time" },
    decided_by: { type: ["string", "null"], description: "The admin's JID, api:KEY_ID or cli" },
    invite_id: { type: ["string", "null"], description: "The invite an approval created" },
  },
  required: ["id", "username", "status", "created", "expires"],
} as const;

const errorResponse = (description: string) => ({ description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });
const idParam = { name: "id", in: "path", required: true, schema: { type: "string" } };

export function openApiDocument(publicUrl: string | undefined): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: { title: "xmpp-invites API", version: "1", description: "Create, list and revoke invites; redeem them. Errors carry the same codes as the XMPP door." },
    servers: [{ url: `${publicUrl?.replace(/\/$/, "") ?? ""}/api/v1` }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An API key from `xmpp-invites api-key create NAME`" } },
      schemas: {
        Invite: invite,
        CreatedInvite: {
          allOf: [{ $ref: "#/components/schemas/Invite" }, {
            type: "object",
            properties: {
              token: { type: "string", description: "Shown only here; only its hash is stored" },
              uri: { type: "string", description: "xmpp: URI with the preauth token" },
              landing_url: { type: ["string", "null"], description: "The invite's web page, when http.public_url is set" },
            },
            required: ["token", "uri", "landing_url"],
          }],
        },
        TreeNode: {
          type: "object",
          properties: {
            jid: { type: "string", description: "An account, or where invites without a user were made (cli, api:<key id>)" },
            invited_by: { type: ["string", "null"] },
            kind: { type: ["string", "null"], enum: ["account", "contact", null], description: "account: created with the invite; contact: an existing account accepted a contact invite" },
            invite_id: { type: ["string", "null"] },
            note: { type: ["string", "null"] },
            at: { type: ["string", "null"], format: "date-time" },
            invited: { type: "array", items: { $ref: "#/components/schemas/TreeNode" } },
          },
          required: ["jid", "invited_by", "kind", "invite_id", "note", "at", "invited"],
        },
        Error: error,
        AccountRequest: accountRequest,
      },
    },
    security: [{ bearer: [] }],
    paths: {
      "/invites": {
        get: {
          summary: "List pending invites (all with ?all=true)",
          parameters: [
            { name: "all", in: "query", schema: { type: "boolean" } },
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 1000 } },
          ],
          responses: {
            "200": { description: "Invites, newest first", content: { "application/json": { schema: { type: "object", properties: { invites: { type: "array", items: { $ref: "#/components/schemas/Invite" } } } } } } },
            "401": errorResponse("No valid API key"),
          },
        },
        post: {
          summary: "Create an invite",
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  additionalProperties: false,
                  properties: {
                    type: { type: "string", enum: [...INVITE_TYPES], default: "account" },
                    username: { type: "string", description: "account: the only username it registers; reset: the account" },
                    inviter: { type: "string", description: "contact (required) or account: a user of the domain, subscribed with the new account" },
                    allow_registration: { type: "boolean", description: "contact: may also create an account" },
                    groups: { type: "array", items: { type: "string" }, maxItems: 20 },
                    expires: { oneOf: [{ type: "integer" }, { type: "string" }], description: 'Seconds or a period such as "7d"' },
                    uses: { type: "integer", minimum: 1 },
                    note: { type: "string", maxLength: 1000 },
                  },
                },
              },
            },
          },
          responses: {
            "201": { description: "Created", content: { "application/json": { schema: { $ref: "#/components/schemas/CreatedInvite" } } } },
            "401": errorResponse("No valid API key"),
            "400": errorResponse("invalid-characters: a string holds characters XML cannot carry (control characters, U+FFFE, U+FFFF, unpaired surrogates)"),
            "403": errorResponse("The key is read-only"),
            "422": errorResponse("The request is not a valid invite"),
          },
        },
        delete: {
          summary: "Revoke every invite of one user that could still be used",
          parameters: [{ name: "user", in: "query", required: true, schema: { type: "string" }, description: "The user's bare JID" }],
          responses: {
            "200": { description: "The revoked invites", content: { "application/json": { schema: { type: "object", properties: { user: { type: "string" }, revoked: { type: "array", items: { $ref: "#/components/schemas/Invite" } } } } } } },
            "401": errorResponse("No valid API key"),
            "403": errorResponse("The key is read-only"),
            "422": errorResponse("No user given"),
          },
        },
      },
      "/tree": {
        get: {
          summary: "Who invited whom: every tree, or the one below ?jid=",
          parameters: [{ name: "jid", in: "query", schema: { type: "string" } }],
          responses: {
            "200": { description: "The trees", content: { "application/json": { schema: { type: "object", properties: { tree: { type: "array", items: { $ref: "#/components/schemas/TreeNode" } } } } } } },
            "401": errorResponse("No valid API key"),
          },
        },
      },
      "/invites/{id}": {
        get: {
          summary: "One invite",
          parameters: [idParam],
          responses: { "200": { description: "The invite", content: { "application/json": { schema: { $ref: "#/components/schemas/Invite" } } } }, "401": errorResponse("No valid API key"), "404": errorResponse("No such invite") },
        },
        delete: {
          summary: "Revoke an invite",
          parameters: [idParam],
          responses: {
            "200": { description: "The revoked invite", content: { "application/json": { schema: { $ref: "#/components/schemas/Invite" } } } },
            "401": errorResponse("No valid API key"),
            "403": errorResponse("The key is read-only"),
            "404": errorResponse("No such invite"),
            "409": errorResponse("Already revoked"),
          },
        },
      },
      "/requests": {
        get: {
          summary: "Account requests waiting for an answer, oldest first (all, newest first, with ?all=true)",
          parameters: [
            { name: "all", in: "query", schema: { type: "boolean" } },
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 1000 } },
          ],
          responses: {
            "200": { description: "Requests", content: { "application/json": { schema: { type: "object", properties: { requests: { type: "array", items: { $ref: "#/components/schemas/AccountRequest" } } } } } } },
            "401": errorResponse("No valid API key"),
          },
        },
      },
      "/requests/{id}": {
        get: {
          summary: "One account request",
          parameters: [idParam],
          responses: { "200": { description: "The request", content: { "application/json": { schema: { $ref: "#/components/schemas/AccountRequest" } } } }, "401": errorResponse("No valid API key"), "404": errorResponse("No such request") },
        },
      },
      "/requests/{id}/approve": {
        post: {
          summary: "Approve: creates a single-use invite for the requested username; the requester's status link becomes its registration form",
          parameters: [idParam],
          responses: {
            "200": { description: "The approved request", content: { "application/json": { schema: { $ref: "#/components/schemas/AccountRequest" } } } },
            "401": errorResponse("No valid API key"),
            "403": errorResponse("The key is read-only"),
            "404": errorResponse("No such request"),
            "409": errorResponse("Already decided, or expired"),
          },
        },
      },
      "/requests/{id}/deny": {
        post: {
          summary: "Deny: the requester's status link says so",
          parameters: [idParam],
          responses: {
            "200": { description: "The denied request", content: { "application/json": { schema: { $ref: "#/components/schemas/AccountRequest" } } } },
            "401": errorResponse("No valid API key"),
            "403": errorResponse("The key is read-only"),
            "404": errorResponse("No such request"),
            "409": errorResponse("Already decided, or expired"),
          },
        },
      },
      "/registrations": {
        post: {
          summary: "Redeem an invite: create the account (or reset the password); the token is the credential",
          security: [],
          requestBody: {
            required: true,
            content: { "application/json": { schema: { type: "object", additionalProperties: false, properties: { token: { type: "string" }, username: { type: "string" }, password: { type: "string" } }, required: ["token", "username", "password"] } } },
          },
          responses: {
            "201": { description: "Account created", content: { "application/json": { schema: { type: "object", properties: { jid: { type: "string" }, action: { type: "string" } } } } } },
            "200": { description: "Password reset" },
            "400": errorResponse("invalid-characters: a string holds characters XML cannot carry (control characters, U+FFFE, U+FFFF, unpaired surrogates); nothing was reserved"),
            "404": errorResponse("The token is invalid or expired"),
            "409": errorResponse("The username is taken"),
            "422": errorResponse("The username or password is not acceptable"),
            "429": errorResponse("Too many attempts from this address"),
            "502": errorResponse("The XMPP server refused to create the account; the invite stays usable"),
            "503": errorResponse("server-unavailable: the XMPP server did not answer in time (the invite stays reserved until it is known whether the account was made); storage-unavailable: the database refuses writes. Try again later"),
          },
        },
      },
    },
  };
}
