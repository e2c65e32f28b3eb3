/** aedes 1.2 in-process on a free loopback port, for tests that need a broker without a child process. */
import { Aedes } from 'aedes';
import { createServer, type AddressInfo } from 'node:net';

export interface InProcessBroker {
  readonly broker: Aedes;
  readonly port: number;
  /** mqtt://127.0.0.1:<port> */
  readonly url: string;
  close(): Promise<void>;
}

export async function startAedes(): Promise<InProcessBroker> {
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    broker,
    port,
    url: `mqtt://127.0.0.1:${port}`,
    async close() {
      // the broker closes its clients' connections; the server then has none left to wait for
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
