// The layering of src/, checked by `npm run lint:arch` (part of `npm test`). Each folder is one
// layer; imports only point down. The "Layout" section of docs/development.md draws the same picture.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: "no-circular", severity: "error", comment: "Cycles hide which module owns what.", from: {}, to: { circular: true } },
    {
      name: "core-stays-pure",
      severity: "error",
      comment: "src/invites is the core (domain, ports, services): no stanzas, HTTP, config or concrete adapters.",
      from: { path: "^src/invites/" },
      to: { path: "^src/(xmpp|http|adapters|config|cli|client)/|^src/(app|log|metrics)\\.ts$|^src/protocol/(xml|forms|stanza-error|namespaces|iq)\\.ts$" },
    },
    {
      name: "domain-is-a-leaf",
      severity: "error",
      comment: "src/invites/domain holds value types and pure helpers: it imports nothing else of the core.",
      from: { path: "^src/invites/domain/" },
      to: { path: "^src/invites/", pathNot: "^src/invites/domain/" },
    },
    {
      name: "ports-see-only-the-domain",
      severity: "error",
      comment: "src/invites/ports declares what the core needs from outside, in the domain's terms only.",
      from: { path: "^src/invites/ports/" },
      to: { path: "^src/invites/", pathNot: "^src/invites/(domain|ports)/" },
    },
    {
      name: "adapters-implement-ports",
      severity: "error",
      comment: "An adapter implements a port: it sees the core's ports and domain, never its services.",
      from: { path: "^src/adapters/" },
      to: { path: "^src/invites/", pathNot: "^src/invites/(domain|ports)/" },
    },
    {
      name: "engines-chosen-at-the-root",
      severity: "error",
      comment: "Which store engine runs is decided in app.ts alone; everything else sees the Stores port.",
      from: { path: "^src/", pathNot: "^src/(app\\.ts$|adapters/store/)" },
      to: { path: "^src/adapters/store/" },
    },
    {
      name: "protocol-is-a-leaf",
      severity: "error",
      comment: "src/protocol is shared by xmpp/ and adapters/ and depends on nothing of ours but the error registry.",
      from: { path: "^src/protocol/" },
      to: { path: "^src/", pathNot: "^src/(protocol/|errors\\.ts$)" },
    },
    {
      name: "xmpp-edge-alone",
      severity: "error",
      comment: "The XMPP edge, the HTTP edge and the adapters meet only in app.ts.",
      from: { path: "^src/xmpp/" },
      to: { path: "^src/(http|adapters|cli|client)/|^src/app\\.ts$" },
    },
    {
      name: "http-edge-alone",
      severity: "error",
      from: { path: "^src/http/" },
      to: { path: "^src/(xmpp|adapters|cli|client)/|^src/app\\.ts$" },
    },
    {
      name: "adapters-alone",
      severity: "error",
      comment: "Adapters implement the core's ports with protocol helpers; they know no edge.",
      from: { path: "^src/adapters/" },
      to: { path: "^src/(xmpp|http|cli)/|^src/app\\.ts$" },
    },
    {
      name: "only-the-root-wires",
      severity: "error",
      comment: "Only the composition root and the CLI import app.ts.",
      from: { pathNot: "^src/(cli/|app\\.ts$)|^tools/|^test/" },
      to: { path: "^src/app\\.ts$" },
    },
    {
      name: "no-tooling-in-product",
      severity: "error",
      comment: "tools/ (demo, benchmarks, throwaway servers) and test/ are never shipped.",
      from: { path: "^src/" },
      to: { path: "^(tools|test)/" },
    },
    {
      name: "no-dev-deps-in-product",
      severity: "error",
      from: { path: "^src/" },
      to: { dependencyTypes: ["npm-dev"], dependencyTypesNot: ["type-only"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"], extensions: [".ts", ".js"] },
  },
};
