/**
 * A tiny authoritative DNS server over UDP on loopback for tests (RFC 1035 §4.1): it answers A and
 * CNAME queries from a table the test writes, NXDOMAIN for names it does not know, and can be told
 * to answer SERVFAIL or nothing at all for a name. Answers never use name compression.
 * Kept for what needs real DNS on the wire: the node:dns resolver's interop test
 * (src/servers/dns/node-dns-resolver.test.ts) and the doctor's A/AAAA lookups (control/doctor, e2e doctor and
 * admission, the browser console test) until those move behind an interface; CNAME and TXT checks elsewhere use
 * test/support/stub-dns.ts.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';

/** The records of one name. */
export interface DnsEntry {
  readonly cname?: string;
  readonly a?: readonly string[];
  /** Misbehave for this name: SERVFAIL, or drop the query so the client times out. */
  readonly fail?: 'servfail' | 'drop';
}

const TYPE_A = 1;
const TYPE_CNAME = 5;
const CLASS_IN = 1;
const RCODE = { noError: 0, formErr: 1, servFail: 2, nxDomain: 3, notImp: 4 } as const;

/** A DNS server the test starts on 127.0.0.1 and an ephemeral port. */
export class TestDnsServer {
  readonly records = new Map<string, DnsEntry>();
  /** Every question received, as `name/type`. */
  readonly queries: string[] = [];
  private readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
  }

  /** Binds a new server. */
  static async start(): Promise<TestDnsServer> {
    const socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    return new TestDnsServer(socket);
  }

  /** `127.0.0.1:<port>`, the form `Resolver.setServers` takes. */
  get address(): string {
    return `127.0.0.1:${this.socket.address().port}`;
  }

  /** Sets the records of a name (case-insensitive). */
  set(name: string, entry: DnsEntry): this {
    this.records.set(name.toLowerCase(), entry);
    return this;
  }

  /** Stops the server. */
  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    const reply = this.answer(msg);
    if (reply) this.socket.send(reply, rinfo.port, rinfo.address);
  }

  /** The reply to one query, or undefined to stay silent. */
  answer(msg: Buffer): Buffer | undefined {
    if (msg.length < 12) return undefined;
    const flags = msg.readUInt16BE(2);
    const opcode = (flags >> 11) & 0xf;
    if ((flags & 0x8000) !== 0) return undefined; // a response, not a query
    const question = readQuestion(msg, 12);
    if (!question) return header(msg, RCODE.formErr, 0, []);
    if (opcode !== 0 || msg.readUInt16BE(4) !== 1) return header(msg, RCODE.notImp, 0, []);
    const { name, type, end } = question;
    this.queries.push(`${name}/${type}`);
    const raw = msg.subarray(12, end);
    const entry = this.records.get(name);
    if (entry?.fail === 'drop') return undefined;
    if (entry?.fail === 'servfail') return header(msg, RCODE.servFail, 1, [raw]);
    if (!entry) return header(msg, RCODE.nxDomain, 1, [raw]);
    const answers: Buffer[] = [];
    if (entry.cname !== undefined) {
      answers.push(record(name, TYPE_CNAME, encodeName(entry.cname)));
      // Like a real server, follow the chain within the zone for A queries.
      const target = this.records.get(entry.cname.toLowerCase());
      if (type === TYPE_A) for (const ip of target?.a ?? []) answers.push(record(entry.cname, TYPE_A, ipv4(ip)));
    } else if (type === TYPE_A) {
      for (const ip of entry.a ?? []) answers.push(record(name, TYPE_A, ipv4(ip)));
    }
    return header(msg, RCODE.noError, 1, [raw, ...answers], answers.length);
  }
}

/** The question at `offset` (RFC 1035 §4.1.2), lowercased, or undefined if malformed. */
function readQuestion(msg: Buffer, offset: number): { name: string; type: number; end: number } | undefined {
  const labels: string[] = [];
  let at = offset;
  for (;;) {
    const len = msg[at];
    if (len === undefined || (len & 0xc0) !== 0) return undefined; // questions are never compressed here
    at++;
    if (len === 0) break;
    if (at + len > msg.length) return undefined;
    labels.push(msg.toString('latin1', at, at + len).toLowerCase());
    at += len;
  }
  if (at + 4 > msg.length) return undefined;
  return { name: labels.join('.'), type: msg.readUInt16BE(at), end: at + 4 };
}

/** A reply header (RFC 1035 §4.1.1) followed by `sections`: QR, AA, the query's RD, the rcode. */
function header(query: Buffer, rcode: number, qdcount: number, sections: Buffer[], ancount = 0): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(query.readUInt16BE(0), 0);
  h.writeUInt16BE(0x8000 | 0x0400 | (query.readUInt16BE(2) & 0x0100) | rcode, 2);
  h.writeUInt16BE(qdcount, 4);
  h.writeUInt16BE(ancount, 6);
  return Buffer.concat([h, ...sections]);
}

/** One resource record (RFC 1035 §4.1.3), class IN, TTL 60. */
function record(name: string, type: number, rdata: Buffer): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(CLASS_IN, 2);
  fixed.writeUInt32BE(60, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([encodeName(name), fixed, rdata]);
}

/** A name as length-prefixed labels ending in the root label (RFC 1035 §3.1). */
export function encodeName(name: string): Buffer {
  const labels = name
    .replace(/\.$/, '')
    .split('.')
    .filter((l) => l !== '');
  return Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])),
    Buffer.from([0]),
  ]);
}

function ipv4(ip: string): Buffer {
  return Buffer.from(ip.split('.').map(Number));
}
