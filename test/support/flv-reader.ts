/** An HTTP-FLV player that only counts bytes: proof that a live stream keeps flowing while tests do other things. */
import { get, type ClientRequest, type IncomingMessage } from 'node:http';
import { once } from 'node:events';

/** A running HTTP-FLV request and the bytes it received so far. */
export class FlvReader {
  bytes = 0;
  /** When the last bytes arrived (Date.now()). */
  lastDataAt = 0;
  ended = false;
  private readonly req: ClientRequest;
  private constructor(req: ClientRequest, res: IncomingMessage) {
    this.req = req;
    res.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length;
      this.lastDataAt = Date.now();
    });
    res.on('close', () => (this.ended = true));
    res.on('error', () => (this.ended = true));
  }

  /** GETs the URL; rejects unless the answer is 200. */
  static async open(url: string, timeoutMs = 10_000): Promise<FlvReader> {
    const req = get(url, { agent: false, timeout: timeoutMs });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    if (res.statusCode !== 200) {
      req.destroy();
      throw new Error(`GET ${url}: HTTP ${res.statusCode}`);
    }
    req.setTimeout(0);
    return new FlvReader(req, res);
  }

  /** Stops reading and closes the connection. */
  close(): void {
    this.req.destroy();
  }
}
