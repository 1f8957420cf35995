/** A loopback HTTP callback receiver for end-to-end tests: records every JSON body, answers 200. */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One received callback. */
export interface Received {
  readonly path: string;
  readonly body: Record<string, any>;
}

/** Listens on 127.0.0.1; `url(path)` is what a template points at. */
export class CallbackReceiver {
  readonly received: Received[] = [];
  #server: Server | undefined;
  port = 0;

  async listen(): Promise<this> {
    const server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8').on('data', (d: string) => (raw += d));
      req.on('end', () => {
        this.received.push({ path: req.url ?? '', body: JSON.parse(raw) as Record<string, any> });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":0}');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    this.#server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  bodies(path: string): Record<string, any>[] {
    return this.received.filter((r) => r.path === path).map((r) => r.body);
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
