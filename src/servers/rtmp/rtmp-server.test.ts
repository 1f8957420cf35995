/** The RTMP listener's admission caps (total, per address with trusted networks, handshakes) and output cap. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { startService, type TestService } from '../../../test/support/service.ts';
import { RawSocket } from '../../../test/support/raw-socket.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { amf0Object } from '../../protocol/amf0/amf0-value.ts';
import { encodeChunks } from '../../protocol/rtmp/chunk-encoder.ts';
import { encodeCommand } from '../../protocol/rtmp/commands.ts';
import type { ErrorCode } from '../../errors.ts';
import { allowAll, type Access } from '../../control/access.ts';

const errors = (svc: TestService, code: ErrorCode) => svc.service.counters.errors.get(code) ?? 0;

interface Opened {
  socket: Socket;
  closed: boolean;
}

/** Opens a socket from `localAddress` and waits until the server admitted or refused it. */
async function open(svc: TestService, localAddress: string): Promise<Opened> {
  const before =
    svc.service.rtmp.connectionCount + [...svc.service.counters.errors.values()].reduce((a, b) => a + b, 0);
  const socket = connect({ host: '127.0.0.1', port: svc.service.rtmpPort, localAddress });
  const o: Opened = { socket, closed: false };
  socket.on('error', () => {});
  socket.on('close', () => (o.closed = true));
  await once(socket, 'connect');
  const decided = () =>
    svc.service.rtmp.connectionCount + [...svc.service.counters.errors.values()].reduce((a, b) => a + b, 0) > before;
  await waitFor('the server to admit or refuse the socket', decided, 5000);
  return o;
}

test('caps connections per client address, exempts trusted networks from it, and caps the total', async () => {
  const svc = await startService({
    rtmp: { maxConnectionsPerIp: 2, maxConnections: 8 },
    limits: { trustedNetworks: ['127.0.0.3/32'] },
  });
  const all: Opened[] = [];
  try {
    for (let i = 0; i < 3; i++) all.push(await open(svc, '127.0.0.1'));
    for (let i = 0; i < 2; i++) all.push(await open(svc, '127.0.0.2'));
    for (let i = 0; i < 5; i++) all.push(await open(svc, '127.0.0.3'));
    await waitFor('the refused sockets to close', () => all.filter((o) => o.closed).length === 2, 5000);
    assert.deepEqual(
      all.map((o) => o.closed),
      [false, false, true, false, false, false, false, false, false, true],
    );
    assert.equal(errors(svc, 'RTMP_CONNECTION_LIMIT_PER_IP'), 1, 'the third from 127.0.0.1');
    assert.equal(errors(svc, 'RTMP_CONNECTION_LIMIT'), 1, 'the ninth in total, trusted or not');
    // A closed socket gives its slot back.
    all[0]!.socket.destroy();
    await waitFor('the slot to be released', () => svc.service.rtmp.connectionCount === 7, 5000);
    const again = await open(svc, '127.0.0.1');
    all.push(again);
    assert.equal(again.closed, false);
  } finally {
    for (const o of all) o.socket.destroy();
    await svc.close();
  }
});

test('caps the handshakes in progress; a finished handshake frees its place', async () => {
  const svc = await startService({ rtmp: { maxHandshakes: 2 } });
  const all: Opened[] = [];
  const raw = await RawSocket.open(svc.service.rtmpPort);
  try {
    await waitFor('the raw socket to be admitted', () => svc.service.rtmp.handshakeCount === 1, 5000);
    all.push(await open(svc, '127.0.0.1'));
    const refused = await open(svc, '127.0.0.1');
    all.push(refused);
    await waitFor('the refused socket to close', () => refused.closed, 5000);
    assert.equal(errors(svc, 'RTMP_HANDSHAKE_LIMIT'), 1);
    await raw.handshake();
    await waitFor('the handshake to be done', () => svc.service.rtmp.handshakeCount === 1, 5000);
    const admitted = await open(svc, '127.0.0.1');
    all.push(admitted);
    assert.equal(admitted.closed, false);
    assert.equal(errors(svc, 'RTMP_HANDSHAKE_LIMIT'), 1);
  } finally {
    raw.destroy();
    for (const o of all) o.socket.destroy();
    await svc.close();
  }
});

test('closes a peer that sends unknown commands and never reads the _error answers with RTMP_OUTPUT_LIMIT', async () => {
  const svc = await startService({ rtmp: { maxOutputBytes: 16 * 1024 } });
  const raw = await RawSocket.open(svc.service.rtmpPort);
  try {
    await raw.handshake();
    const obj = amf0Object({ app: 'live', tcUrl: 'rtmp://127.0.0.1/live' });
    raw.write(
      encodeChunks({ csid: 3, typeId: 20, streamId: 0, timestamp: 0, payload: encodeCommand('connect', 1, obj) }, 128),
    );
    await raw.until('the connect result', (b) => b.includes('NetConnection.Connect.Success'));
    raw.socket.pause();
    // Each ~20-byte call gets a ~120-byte _error NetConnection.Call.Failed.
    const calls = Buffer.concat(
      Array.from({ length: 2000 }, (_, i) =>
        encodeChunks({ csid: 3, typeId: 20, streamId: 0, timestamp: 0, payload: encodeCommand('x', i + 2, null) }, 128),
      ),
    );
    for (let i = 0; i < 500 && errors(svc, 'RTMP_OUTPUT_LIMIT') === 0; i++) {
      raw.write(calls);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor('the output cap', () => errors(svc, 'RTMP_OUTPUT_LIMIT') === 1, 10_000);
    await waitFor('the connection to go', () => svc.service.rtmp.connectionCount === 0, 5000);
    assert.deepEqual([...svc.service.counters.errors.keys()], ['RTMP_OUTPUT_LIMIT'], 'nothing else');
  } finally {
    raw.destroy();
    await svc.close();
  }
});

test('an access check that fails closes only that connection, with its code; the process and the next player go on', async () => {
  const access: Access = {
    ...allowAll,
    checkPlay: (req) =>
      req.stream === 'boom' ? Promise.reject(new Error('store unreachable')) : allowAll.checkPlay(req),
  };
  const svc = await startService({ http: { playWaitMs: 300 } }, { access });
  const play = async (stream: string) => {
    const raw = await RawSocket.open(svc.service.rtmpPort);
    await raw.handshake();
    const obj = amf0Object({ app: 'live', tcUrl: 'rtmp://127.0.0.1/live' });
    const cmd = (name: string, tx: number, streamId: number, ...args: string[]) =>
      encodeChunks(
        {
          csid: 3,
          typeId: 20,
          streamId,
          timestamp: 0,
          payload: encodeCommand(name, tx, name === 'connect' ? obj : null, ...args),
        },
        128,
      );
    // Pipelined: connect, createStream and play in one write.
    raw.write(Buffer.concat([cmd('connect', 1, 0), cmd('createStream', 2, 0), cmd('play', 3, 1, stream)]));
    return raw;
  };
  try {
    const boom = await play('boom');
    assert.equal(await boom.closedWithin(5000), true);
    assert.equal(errors(svc, 'INTERNAL'), 1, 'counted with its code');
    const fine = await play('nobody');
    await fine.until('StreamNotFound after the play wait', (b) => b.includes('NetStream.Play.StreamNotFound'));
    assert.equal(await fine.closedWithin(5000), true);
    assert.equal(errors(svc, 'INTERNAL'), 1);
  } finally {
    await svc.close();
  }
});
