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

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
