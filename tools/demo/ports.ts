import { connect, createServer } from "node:net";

/** What every throwaway server here is set up with; each has its defaults. */
export interface ServerNames {
  domain?: string;
  anonDomain?: string;
  componentDomain?: string;
  componentSecret?: string;
  /** Let the component run XEP-0133 admin commands (default true). */
  componentAdmin?: boolean;
  /** Grant the component XEP-0356 roster access (default true). */
  privilege?: boolean;
}

/** Whether something accepts TCP connections on host:port. */
export function accepts(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

// Ports this process handed out lately: the kernel may give a just-closed port to the next bind(0),
// and two listeners of one server on the same port make it refuse to start.
const handedOut = new Set<number>();
const REMEMBERED = 64;

// Test workers run side by side: each takes ports from its own slice below the kernel's ephemeral
// range (32768+), so no other worker's bind(0) and no outgoing connection can take a port between
// choosing it and the server binding it. Outside the test runner, bind(0) chooses.
const SLICE = 300;
const poolId = Number(process.env["VITEST_POOL_ID"] ?? "");
const slice = Number.isInteger(poolId) && poolId > 0 ? 10_000 + (poolId % 70) * SLICE : undefined;
let next = Math.floor(Math.random() * SLICE);

function listenOn(port: number): Promise<ReturnType<typeof createServer> | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => (port !== 0 && error.code === "EADDRINUSE" ? resolve(undefined) : reject(error)));
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

async function bindAny(): Promise<ReturnType<typeof createServer>> {
  for (let tries = 0; slice !== undefined && tries < SLICE; tries++) {
    const server = await listenOn(slice + (next++ % SLICE));
    if (server) return server;
  }
  const server = await listenOn(0);
  if (!server) throw new Error("no port");
  return server;
}

function portOf(server: ReturnType<typeof createServer>): number {
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

/**
 * `count` distinct TCP ports on 127.0.0.1 that nothing listens on right now and that this
 * process has not handed out before. All are held open until all are chosen.
 */
export async function freePorts(count: number): Promise<number[]> {
  const held: ReturnType<typeof createServer>[] = [];
  const ports: number[] = [];
  try {
    while (ports.length < count) {
      const server = await bindAny();
      held.push(server);
      const port = portOf(server);
      if (handedOut.has(port)) continue;
      handedOut.add(port);
      if (handedOut.size > REMEMBERED) handedOut.delete(handedOut.values().next().value as number);
      ports.push(port);
    }
  } finally {
    await Promise.all(held.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
  return ports;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now (see `freePorts`). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error("no port");
  return port;
}
