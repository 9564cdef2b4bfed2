// tsc writes files without the execute bit; the command must be runnable straight from dist/
// (npm link, npx in a checkout, a global install from the packed tarball).
import { chmodSync, cpSync, readFileSync } from "node:fs";

const bin = new URL("../dist/cli/main.js", import.meta.url);
if (!readFileSync(bin, "utf8").startsWith("#!/usr/bin/env node\n")) {
  throw new Error("dist/cli/main.js lost its #!/usr/bin/env node line");
}
chmodSync(bin, 0o755);

// The web pages' catalogues are read at run time beside the compiled i18n module.
cpSync(new URL("../src/http/i18n/locales/", import.meta.url), new URL("../dist/http/i18n/locales/", import.meta.url), { recursive: true });
// The stylesheet and the favicon are served from files beside the compiled server.
cpSync(new URL("../src/http/static/", import.meta.url), new URL("../dist/http/static/", import.meta.url), { recursive: true });
