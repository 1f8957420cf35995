// An RTMP benchmark player on the project's own sans-I/O ClientSession (src/protocol/rtmp/client-session.ts):
// full chunk decoding of every message. `--rtmp-player session` picks it; the default walker-based RtmpPlayer
// costs the load generator much less CPU (see docs/performance.md).
import type { Buffer } from 'node:buffer';
import net from 'node:net';
import { ClientSession } from '../../src/protocol/rtmp/client-session.ts';
import { BenchPlayer, type PlayerOptions } from './bench-player.ts';

/** Plays one RTMP stream through ClientSession, keeping only the counters of BenchPlayer. */
export class SessionPlayer extends BenchPlayer {
  private readonly socket: net.Socket;
  private readonly session = new ClientSession({ digest: false });
  private readonly opts: PlayerOptions;
  private createTx = -1;

  constructor(opts: PlayerOptions) {
    super();
    this.opts = opts;
    const u = new URL(opts.url);
    const parts = u.pathname.split('/').filter((s) => s !== '');
    const name = (parts.pop() ?? '') + u.search;
    const app = parts.join('/');
    this.socket = this.watch(net.connect({ host: u.hostname, port: Number(u.port || 1935), noDelay: true }));
    this.session.connect(`rtmp://${u.host}/${app}`, app);
    this.socket.on('connect', () => this.flush());
    this.socket.on('data', (bytes) => this.onData(bytes, name));
  }

  private onData(bytes: Buffer, name: string): void {
    this.bytes += bytes.length;
    let events;
    try {
      events = this.session.receive(bytes);
    } catch (err) {
      this.fail((err as Error).message);
      this.socket.destroy();
      return;
    }
    for (const ev of events) {
      if (ev.type === 'media' || ev.type === 'metadata') {
        this.markFirstByte();
        if (ev.message.keyframe && !ev.message.sequenceHeader) this.markKeyframe();
      } else if (ev.type === 'result' && ev.transactionId === this.createTx) {
        this.session.play(typeof ev.args[0] === 'number' ? ev.args[0] : 1, name, -2000);
      } else if (ev.type === 'result' && this.createTx < 0) {
        this.createTx = this.session.createStream();
      } else if (ev.type === 'error') {
        this.fail(`command rejected: ${String(ev.transactionId)}`);
      }
    }
    this.flush();
    if (this.opts.stall && this.firstKeyAt >= 0) this.socket.pause();
  }

  private flush(): void {
    for (const b of this.session.drain()) this.socket.write(b);
  }
}
