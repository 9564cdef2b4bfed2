// One root logger; features take children. Secrets are redacted by configuration, not discipline.
import { pino, type DestinationStream, type Logger } from "pino";

export const REDACT_PATHS = [
  "password", "*.password",
  "token", "*.token",
  "secret", "*.secret",
  "component.secret",
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { name: "xmpp-invites" },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
  };
  return destination ? pino(options, destination) : pino(options);
}
