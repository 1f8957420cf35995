/**
 * WS-FLV playback: `ws://host/{AppName}/{StreamName}.flv`, what mpegts.js and flv.js use where an HTTP-FLV
 * body is blocked. The upgrade request is admitted exactly as an HTTP-FLV GET (signed play, limits, the
 * players-waiting gate); a refusal is an HTTP answer before the handshake. After the 101 the hub feeds the
 * same FlvPlayerSink (one binary message per merged batch); a slow reader is dropped by the hub as any
 * FLV player, and the player's own frames are read with a size limit (ws-flv-frames.ts).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { LiveError } from '../../errors.ts';
import { httpPlayRequest } from '../../control/admission-request.ts';
import { streamKey } from '../stream-key.ts';
import { FlvPlayerSink } from './flv-player-sink.ts';
import { errorBody, playbackStatusOf, retryHeaders } from './error-reply.ts';
import type { FlvRouteDeps } from './flv-route.ts';
import { markLongLived } from './http-hardening.ts';
import { checkRequestShape, type RequestShapeLimits } from './request-shape.ts';
import { acceptKey, ClientFrameReader, validKey } from './ws-flv-frames.ts';
import { WsFlvResponse } from './ws-flv-response.ts';

// Not `import { … } from 'node:http'`: its ES module facade reads every export, and the lazy WebSocket
// getters load undici (about 9 MB idle, issue 17); the CommonJS exports do not.
const { STATUS_CODES } = process.getBuiltinModule('node:http');

/** What WS-FLV needs beyond the FLV route's dependencies. */
export interface WsFlvDeps extends FlvRouteDeps {
  readonly limits: RequestShapeLimits & { readonly wsMaxFrameBytes?: number };
}

const pathPattern = /^\/([A-Za-z0-9_\-.~]{1,256})\/([A-Za-z0-9_\-.~]{1,256})\.flv$/;

/** Serves WebSocket upgrades of the playback listener; any other upgrade is refused with 400/404. */
export function registerWsFlv(server: Server, deps: WsFlvDeps): void {
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    serveWsFlv(deps, req, socket as Socket, head).catch((err: unknown) =>
      refuse(socket as Socket, err instanceof LiveError ? err : new LiveError('INTERNAL', 'WS-FLV failed')),
    );
  });
}

/** An HTTP answer on the raw socket before any handshake, then close. */
function refuse(socket: Socket, err: LiveError): void {
  if (socket.destroyed) return;
  const status = playbackStatusOf(err);
  const body = JSON.stringify(errorBody(err));
  const headers = {
    'content-type': 'application/json',
    'access-control-allow-origin': '*',
    ...retryHeaders(status),
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  };
  let text = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
  for (const [k, v] of Object.entries(headers)) text += `${k}: ${v}\r\n`;
  socket.end(`${text}\r\n${body}`);
  setTimeout(() => socket.destroy(), 5000).unref();
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function serveWsFlv(deps: WsFlvDeps, req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
  socket.on('error', () => socket.destroy());
  const shape = checkRequestShape(req, deps.limits);
  if (shape) {
    deps.counters.countError(shape.code);
    return refuse(socket, shape);
  }
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const match = pathPattern.exec(q >= 0 ? url.slice(0, q) : url);
  if (!match)
    return refuse(socket, new LiveError('STREAM_NOT_FOUND', `no such WS-FLV URL: ${url.slice(0, 200).split('?')[0]}`));
  const key = headerOf(req, 'sec-websocket-key');
  if (
    req.method !== 'GET' ||
    (headerOf(req, 'upgrade') ?? '').toLowerCase() !== 'websocket' ||
    headerOf(req, 'sec-websocket-version') !== '13' ||
    !validKey(key)
  ) {
    deps.counters.countError('WS_FLV_BAD_HANDSHAKE');
    return refuse(
      socket,
      new LiveError(
        'WS_FLV_BAD_HANDSHAKE',
        'a WS-FLV request needs GET with Upgrade: websocket, Sec-WebSocket-Version: 13 and a Sec-WebSocket-Key',
      ),
    );
  }
  const [, app = '', name = ''] = match;
  const clientIp = socket.remoteAddress ?? '';
  const query = new URLSearchParams(q >= 0 ? url.slice(q + 1) : '');
  const request = httpPlayRequest('flv', {
    hostHeader: headerOf(req, 'host') ?? '',
    app,
    stream: name,
    query,
    clientIp,
    referer: headerOf(req, 'referer') ?? '',
  });
  const outcome = await deps.admission.play(request, { holdsMedia: true });
  if (outcome.kind === 'refused') {
    deps.counters.rejectedPlays++;
    return refuse(socket, new LiveError(outcome.refusal.code, outcome.refusal.reason));
  }
  const streamName = streamKey(app, name);
  const waiting = deps.playWaitMs > 0 && !deps.hub.get(streamName)?.live;
  if (waiting) {
    const full = deps.waits.admit(clientIp);
    if (full) {
      const err =
        full === 'total'
          ? new LiveError(
              'FLV_WAITERS_FULL',
              `the server holds ${deps.waits.open} players waiting for a publisher, its limit; retry shortly`,
            )
          : new LiveError(
              'FLV_WAITERS_PER_IP',
              'this address already has the most players allowed waiting for a publisher; retry shortly',
            );
      deps.counters.countError(err.code);
      return refuse(socket, err);
    }
  }
  if (socket.destroyed) {
    if (waiting) deps.waits.release(clientIp);
    return;
  }
  markLongLived(socket);
  socket.setNoDelay(true);
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`,
    'latin1',
  );
  const out = new WsFlvResponse(socket);
  deps.counters.wsFlvPlayers++;
  let ended = false;
  const end = (reason?: LiveError, status?: number): void => {
    if (ended) return;
    ended = true;
    deps.counters.wsFlvPlayers--;
    subscriber.close();
    // A refusal after the handshake travels as close code 4000 + its HTTP status (4404: not publishing).
    if (reason && status !== undefined) out.end(status, `${reason.code}: ${reason.message}`);
    else if (reason) out.end(4000 + playbackStatusOf(reason), `${reason.code}: ${reason.message}`);
    else out.end();
  };
  const sink = new FlvPlayerSink(out, (reason) => {
    // The hub gave up on a player that does not read: its backlog cannot be flushed, so drop it.
    if (reason && out.bufferedBytes > 0) {
      if (!ended) {
        ended = true;
        deps.counters.wsFlvPlayers--;
        subscriber.close();
      }
      out.destroy();
      return;
    }
    end(reason);
  });
  sink.clientIp = clientIp;
  const subscriber = deps.hub.subscribe(streamName, sink);
  const reader = new ClientFrameReader(deps.limits.wsMaxFrameBytes ?? 4096);
  const onData = (chunk: Buffer): void => {
    for (const frame of reader.push(chunk)) {
      if (frame.kind === 'ping') out.pong(frame.payload);
      else if (frame.kind === 'close') end();
      else if (frame.kind === 'error') {
        const code = frame.status === 1009 ? 'WS_FLV_FRAME_TOO_LARGE' : 'WS_FLV_BAD_FRAME';
        deps.counters.countError(code);
        end(new LiveError(code, frame.why), frame.status);
      }
    }
  };
  socket.on('data', onData);
  socket.on('close', () => end());
  socket.on('drain', () => subscriber.onDrain());
  if (head.length > 0) onData(head);
  if (socket.destroyed) end();
  let live: boolean;
  try {
    live = await subscriber.waitForPublisher(deps.playWaitMs);
  } finally {
    if (waiting) deps.waits.release(clientIp);
  }
  if (!live && !ended) end(new LiveError('STREAM_NOT_FOUND', `stream ${streamName} is not publishing`));
}
