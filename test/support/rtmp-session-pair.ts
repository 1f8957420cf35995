/** Connects a ClientSession and a ServerSession in memory, for scripted RTMP conversations. */
import { Buffer } from 'node:buffer';
import {
  ClientSession,
  type ClientSessionEvent,
  type ClientSessionOptions,
} from '../../src/protocol/rtmp/client-session.ts';
import {
  ServerSession,
  type ServerSessionEvent,
  type ServerSessionOptions,
} from '../../src/protocol/rtmp/server-session.ts';

/** A deterministic random source: bytes counting up from a seed. */
export function countingRandom(seed: number): (n: number) => Buffer {
  let next = seed;
  return (n) => Buffer.from(Array.from({ length: n }, () => next++ & 0xff));
}

/** A client and a server session with the events each has seen since the last `take*()`. */
export class SessionPair {
  readonly client: ClientSession;
  readonly server: ServerSession;
  clientEvents: ClientSessionEvent[] = [];
  serverEvents: ServerSessionEvent[] = [];

  constructor(client: ClientSessionOptions = {}, server: ServerSessionOptions = {}) {
    this.client = new ClientSession({ random: countingRandom(1), ...client });
    this.server = new ServerSession({ random: countingRandom(2), ...server });
  }

  /** Moves bytes both ways until neither side has anything to write; `extra` goes to the client. */
  pump(toClient: Buffer[] = []): this {
    for (;;) {
      const up = this.client.drain();
      for (const b of up) this.serverEvents.push(...this.server.receive(b));
      const down = [...this.server.drain(), ...toClient.splice(0)];
      for (const b of down) this.clientEvents.push(...this.client.receive(b));
      if (up.length === 0 && down.length === 0) return this;
    }
  }

  /** Returns and forgets the server's events. */
  takeServer(): ServerSessionEvent[] {
    return this.serverEvents.splice(0);
  }

  /** Returns and forgets the client's events. */
  takeClient(): ClientSessionEvent[] {
    return this.clientEvents.splice(0);
  }

  /** Handshake and an accepted connect to `app`; forgets the events on the way. */
  connect(app = 'live', tcUrl = `rtmp://localhost/${app}`): this {
    this.client.connect(tcUrl, app);
    this.pump();
    this.server.acceptConnect();
    this.pump();
    this.takeClient();
    this.takeServer();
    return this;
  }
}
