// A load-generator process: opens M players (RTMP or HTTP-FLV) to one URL and reports their counters as JSON,
// over IPC when forked by bench/fanout.ts, or on stdout when run by hand:
//   node bench/load-players.ts --url rtmp://127.0.0.1:1935/live/bench --count 50 --seconds 10 [--stall]
//                              [--rtmp-player walker|session]
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import type { BenchPlayer } from './lib/bench-player.ts';
import { FlvPlayer } from './lib/flv-player.ts';
import { RtmpPlayer } from './lib/rtmp-player.ts';
import type { LoadReply, LoadRequest, PlayerReport, RtmpPlayerKind } from './lib/load-protocol.ts';

const players: BenchPlayer[] = [];
let opening: NodeJS.Timeout | undefined;

/** Opens count players at perSecond, each a new connection; RTMP or HTTP-FLV by the URL's scheme. */
async function open(
  url: string,
  count: number,
  perSecond: number,
  stall: boolean,
  kind: RtmpPlayerKind,
): Promise<void> {
  // Loaded only on request, so that the default harness does not depend on src/ being runnable.
  const Session = kind === 'session' ? (await import('./lib/session-player.ts')).SessionPlayer : undefined;
  const make = (): BenchPlayer => {
    if (!url.startsWith('rtmp')) return new FlvPlayer({ url, stall });
    // The session player speaks plain RTMP only; RTMPS rows use the walker.
    return Session === undefined || url.startsWith('rtmps:')
      ? new RtmpPlayer({ url, stall })
      : new Session({ url, stall });
  };
  const start = performance.now();
  let made = 0;
  const tick = (): void => {
    const due = Math.min(count, Math.ceil(((performance.now() - start) / 1000) * perSecond) + 1);
    while (made < due) {
      players.push(make());
      made++;
    }
    if (made < count) opening = setTimeout(tick, 10);
  };
  tick();
}

function status(): LoadReply {
  let firstKey = 0;
  let failed = 0;
  for (const p of players) {
    if (p.firstKeyAt >= 0) firstKey++;
    if (p.error !== '') failed++;
  }
  return { kind: 'status', opened: players.length, firstKey, failed };
}

function snapshot(): LoadReply {
  const cpu = process.cpuUsage();
  return {
    kind: 'snapshot',
    at: performance.now(),
    cpuMicros: cpu.user + cpu.system,
    bytes: players.map((p) => p.bytes),
    alive: players.map((p) => p.error === ''),
  };
}

function report(): LoadReply {
  const rows: PlayerReport[] = players.map((p) => ({
    firstByteMs: p.firstByteAt < 0 ? -1 : p.firstByteAt - p.startedAt,
    firstKeyMs: p.firstKeyAt < 0 ? -1 : p.firstKeyAt - p.startedAt,
    bytes: p.bytes,
    error: p.error,
  }));
  return { kind: 'report', players: rows };
}

function closeAll(): void {
  clearTimeout(opening);
  for (const p of players) p.close();
}

async function handle(req: LoadRequest): Promise<LoadReply> {
  switch (req.cmd) {
    case 'open':
      await open(req.url, req.count, req.perSecond, req.stall, req.rtmpPlayer);
      return status();
    case 'status':
      return status();
    case 'snapshot':
      return snapshot();
    case 'report':
      return report();
    case 'close':
      closeAll();
      setTimeout(() => process.exit(0), 50);
      return status();
  }
}

if (process.send !== undefined) {
  process.on('message', (msg: LoadRequest & { id: number }) => {
    handle(msg).then(
      (reply) => process.send?.({ id: msg.id, ...reply }),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
  process.on('disconnect', () => process.exit(0));
} else {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      count: { type: 'string', default: '10' },
      'per-second': { type: 'string', default: '200' },
      seconds: { type: 'string', default: '10' },
      stall: { type: 'boolean', default: false },
      'rtmp-player': { type: 'string', default: 'walker' },
    },
  });
  if (values.url === undefined) {
    console.error('usage: node bench/load-players.ts --url URL [--count N] [--seconds S] [--stall]');
    process.exit(2);
  }
  const kind = values['rtmp-player'] === 'session' ? 'session' : 'walker';
  await open(values.url, Number(values.count), Number(values['per-second']), values.stall, kind);
  const first = snapshot();
  setTimeout(
    () => {
      const last = snapshot();
      closeAll();
      console.log(JSON.stringify({ first, last, ...report() }));
      setTimeout(() => process.exit(0), 50);
    },
    Number(values.seconds) * 1000,
  );
}
