/**
 * An SRT listener for tests: the real SrtServer and Admission, a signature check that wants
 * `txSecret=good` (the real policy is tested in control/; here the SRT path to it is), a claim table,
 * and sinks that append each publish's TS payload to a file ffprobe can read.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Access, Refusal } from '../../src/control/access.ts';
import { Admission } from '../../src/control/admission.ts';
import type { PublisherClaims } from '../../src/control/publisher-claims.ts';
import { refusal } from '../../src/control/reasons.ts';
import { ServerCounters } from '../../src/servers/counters.ts';
import { SrtServer, type SrtServerOptions } from '../../src/servers/srt/srt-server.ts';

/** One publish the bed saw: its file, bytes, and how it ended. */
export interface BedPublish {
  readonly key: string;
  readonly file: string;
  bytes: number;
  ended?: { breakCode: string; reason: string };
  readonly done: Promise<void>;
}

/** A started listener with what it recorded. */
export interface SrtBed {
  readonly server: SrtServer<string>;
  readonly port: number;
  readonly counters: ServerCounters;
  readonly publishes: BedPublish[];
  readonly rejections: Array<{ action: string; refused: Refusal }>;
  close(): Promise<void>;
}

/** Starts an SRT listener on a free loopback port. */
export async function startSrtBed(overrides: Partial<SrtServerOptions<string>> = {}): Promise<SrtBed> {
  const dir = mkdtempSync(join(tmpdir(), 'openlive-srt-'));
  const rejections: SrtBed['rejections'] = [];
  const access: Access = {
    async checkPublish(req) {
      const secret = req.query.get('txSecret');
      // The access hook records its own refusals (control/access-policy.ts does).
      const refused =
        secret === null
          ? refusal('TXSECRET_MISSING', '18/502', 'txSecret is missing')
          : secret !== 'good'
            ? refusal('SIGNATURE_INVALID', '18/503', 'txSecret does not match')
            : undefined;
      if (!refused) return { allowed: true, domain: req.host || 'default' };
      rejections.push({ action: 'publish', refused });
      return refused;
    },
    checkPlay: async () => ({ allowed: true }),
    async recordRejection(action, _req, refused) {
      rejections.push({ action, refused });
    },
  };
  const held = new Map<string, string>();
  const claims: PublisherClaims<string> = {
    claim: (t, p) => (held.has(t.key) ? undefined : (held.set(t.key, p.id), t.key)),
    release: (key, id) => void (held.get(key) === id && held.delete(key)),
    isHeld: (t) => held.has(t.key),
  };
  const admission = new Admission<string>({ access, claims, live: { drop: () => false } });
  const counters = new ServerCounters();
  const publishes: BedPublish[] = [];
  const server = new SrtServer<string>({
    host: '127.0.0.1',
    port: 0,
    admission,
    counters,
    log: pino({ level: 'silent' }),
    latencyMs: 120,
    maxConnections: 100,
    maxConnectionsPerIp: 50,
    trustedNetworks: [],
    maxHandshakesPerSecond: 1000,
    maxPendingHandshakes: 64,
    maxReceiveBufferBytes: 8 * 1024 * 1024,
    peerIdleTimeoutMs: 5000,
    idleTimeoutMs: 10_000,
    passphrase: '',
    domainPassphrases: {},
    pbKeyLen: 16,
    openSink: (p) => {
      const file = join(dir, `${publishes.length}-${p.request.stream}.ts`);
      const out: WriteStream = createWriteStream(file);
      let resolveDone!: () => void;
      const entry: BedPublish = { key: p.claim, file, bytes: 0, done: new Promise((r) => (resolveDone = r)) };
      publishes.push(entry);
      return {
        write(chunk) {
          entry.bytes += chunk.length;
          out.write(chunk);
        },
        end(breakCode, reason) {
          entry.ended = { breakCode, reason };
          admission.release(p.claim, p.publisherId);
          out.end(() => resolveDone());
        },
      };
    },
    ...overrides,
  });
  const port = await server.start();
  return { server, port, counters, publishes, rejections, close: () => server.close() };
}
