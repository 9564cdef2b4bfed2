// B2's baseline, run as its own process like the real component: a bare @xmpp/component that
// answers the register get with the same form xmpp-invites sends, and does nothing else.
// Usage: node bare-component.js SERVICE DOMAIN SECRET
import { component } from "@xmpp/component";
import { NS } from "../../src/protocol/namespaces.js";
import { registrationForm } from "../../src/xmpp/xep0077-register.js";

const [service = "", domain = "", password = ""] = process.argv.slice(2);
const bare = component({ service, domain, password });
bare.on("error", () => undefined);
bare.on("connect", () => bare.socket?.setNoDelay(true));
const [, host = domain] = /^[^.]+\.(.+)$/.exec(domain) ?? [];
bare.iqCallee.get(NS.REGISTER, "query", () => registrationForm(true, host));
bare.on("online", () => process.stdout.write("online\n"));
process.once("SIGTERM", () => {
  bare.reconnect.stop();
  void bare.stop().finally(() => process.exit(0));
});
await bare.start();
