// A throwaway PostgreSQL cluster (Debian's postgresql package): initdb into a temporary folder,
// started on a free loopback port with its sockets in that folder, stopped and deleted at the end.
// PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user.
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { freePort } from "./ports.js";

export interface PostgresServer {
  readonly dir: string;
  readonly port: number;
  readonly version: string;
  /** postgresql://app:…@127.0.0.1:port/invites: the database the component uses. */
  readonly url: string;
  /** Stops the server (fast shutdown: open connections are cut, as in a restart). */
  stopProcess(): Promise<void>;
  startProcess(): Promise<void>;
  restart(): Promise<void>;
  /** Runs SQL as the superuser through psql; returns its output (unaligned, tuples only). */
  psql(sql: string): Promise<string>;
  stop(): Promise<void>;
}

const OWNER = "postgres";

/** Where initdb and pg_ctl are: on PATH, else Debian's versioned folder (newest first). */
export function postgresBinDir(): string | undefined {
  try {
    // A link on PATH (e.g. /usr/local/bin/initdb) leads to the folder with psql and postgres too.
    const initdb = execFileSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" }).trim();
    if (initdb) return dirname(realpathSync(initdb));
  } catch {
    // not on PATH
  }
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).filter((name) => existsSync(join(base, name, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(base, versions[0], "bin");
}

export async function startPostgres(opts: { database?: string; log?: (line: string) => void } = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error("PostgreSQL is not installed. Install it with: sudo apt-get install -y postgresql");
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), "xmpp-invites-pg-"));
  const data = join(dir, "data");
  const port = await freePort();
  const database = opts.database ?? "invites";
  const password = randomBytes(12).toString("hex");
  const pwfile = join(dir, "pw");
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (asRoot) {
    const { uid, gid } = ownerIds();
    chownSync(dir, uid, gid);
    chownSync(pwfile, uid, gid);
  }
  // As root, every PostgreSQL program runs as the owner of the cluster.
  const run = (program: string, args: string[], input?: string) =>
    new Promise<string>((resolve, reject) => {
      const [command, argv] = asRoot ? ["runuser", ["-u", OWNER, "--", join(bin, program), ...args]] : [join(bin, program), args];
      const proc = execFile(command, argv, { encoding: "utf8", cwd: dir }, (err, stdout, stderr) =>
        err ? reject(new Error(`${program} failed: ${stderr || stdout || err.message}`)) : resolve(stdout));
      proc.stdin?.end(input ?? "");
    });

  const version = (await run("postgres", ["--version"])).trim().replace(/^postgres \(PostgreSQL\) /, "");
  await run("initdb", ["-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", `--pwfile=${pwfile}`, "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);
  rmSync(pwfile, { force: true });
  // Loopback only, sockets in the folder; fsync off is safe for a cluster deleted at the end (a
  // process crash or restart loses nothing; only a machine crash would).
  writeFileSync(join(data, "postgresql.auto.conf"), [
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${dir}'`,
    "fsync = off",
    "full_page_writes = off",
    "max_connections = 200",
    "log_min_messages = warning",
    "",
  ].join("\n"));

  let running = false;
  const startProcess = async () => {
    await run("pg_ctl", ["-D", data, "-l", join(dir, "server.log"), "-w", "-t", "30", "start"]);
    running = true;
  };
  const stopProcess = async () => {
    if (!running) return;
    running = false;
    await run("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "30", "stop"]);
  };
  const psql = (sql: string) => run("psql", ["-h", dir, "-p", String(port), "-U", "postgres", "-d", "postgres", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql]);

  let removed = false;
  const server: PostgresServer = {
    dir, port, version,
    url: `postgresql://app:${password}@127.0.0.1:${port}/${database}`,
    stopProcess,
    startProcess,
    async restart() {
      await stopProcess();
      await startProcess();
    },
    psql,
    async stop() {
      try {
        await stopProcess();
      } finally {
        if (!removed) rmSync(dir, { recursive: true, force: true });
        removed = true;
      }
    },
  };
  try {
    await startProcess();
    // The component connects as an ordinary role that owns its database, as in production.
    await psql(`CREATE ROLE app LOGIN PASSWORD '${password}'`);
    await psql(`CREATE DATABASE ${database} OWNER app`);
  } catch (err) {
    opts.log?.(logTail(dir));
    await server.stop();
    throw err;
  }
  return server;
}

function ownerIds(): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((entry) => entry.startsWith(`${OWNER}:`));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid === undefined || gid === undefined) throw new Error(`no ${OWNER} user: install the postgresql package (apt-get install -y postgresql)`);
  return { uid: Number(uid), gid: Number(gid) };
}

function logTail(dir: string): string {
  try {
    return readFileSync(join(dir, "server.log"), "utf8").split("\n").slice(-20).join("\n");
  } catch {
    return "(no server log)";
  }
}
