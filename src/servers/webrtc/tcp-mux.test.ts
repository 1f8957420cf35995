import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import type { ErrorCode } from '../../errors.ts';
import { FrameDecoder, frame } from '../../protocol/stun/tcp-framing.ts';
import { bindingRequest } from '../../../test/support/stun.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { TcpMux } from './tcp-mux.ts';

async function setup(o: { maxConnections?: number; bindTimeoutMs?: number; perSession?: number } = {}) {
  const errors: ErrorCode[] = [];
  const mux = new TcpMux({
    host: '127.0.0.1',
    port: 0,
    maxConnections: o.maxConnections ?? 10,
    bindTimeoutMs: o.bindTimeoutMs ?? 5000,
    maxConnectionsPerSession: o.perSession ?? 4,
    countError: (c) => errors.push(c),
  });
  await mux.start();
  const sockets: Socket[] = [];
  /** A client connection and the frames it has received. */
  const client = async () => {
    const s = connect(mux.port, '127.0.0.1');
    sockets.push(s);
    await once(s, 'connect');
    const decoder = new FrameDecoder(65535);
    const got: Buffer[] = [];
    let closed = false;
    s.on('data', (d: Buffer) => got.push(...decoder.push(d).frames));
    s.on('close', () => (closed = true));
    s.on('error', () => {});
    return { s, got, closed: () => closed };
  };
  const session = (serverUfrag: string, clientUfrag: string, serverPassword: string) => {
    const got: { data: Buffer; from: [string, number] }[] = [];
    const s = mux.register({
      serverUfrag,
      clientUfrag,
      serverPassword,
      deliver: (data, from) => got.push({ data, from }),
    });
    return { s, got };
  };
  const close = async () => {
    for (const s of sockets) s.destroy();
    await mux.close();
  };
  return { mux, errors, client, session, close };
}

test('a verified first frame binds the connection: later frames reach the session, sends go back framed', async () => {
  const t = await setup();
  try {
    const a = t.session('srvA', 'cliA', 'password-of-session-a-22');
    const b = t.session('srvB', 'cliB', 'password-of-session-b-22');
    const c = await t.client();
    const check = bindingRequest('srvA:cliA', 'password-of-session-a-22');
    const dtls = Buffer.from([22, 0xfe, 0xfd, 0, 1, 2, 3]);
    // Both frames in one write, the second split across two writes: framing, not TCP segments, counts.
    const bytes = Buffer.concat([frame(check), frame(dtls), frame(Buffer.from([0x80, 0x60, 1, 2]))]);
    c.s.write(bytes.subarray(0, check.length + 5));
    c.s.write(bytes.subarray(check.length + 5));
    await waitFor('three frames', () => a.got.length === 3, 5000);
    assert.deepEqual(a.got[0]!.data, check);
    assert.deepEqual(a.got[1]!.data, dtls);
    assert.equal(b.got.length, 0);
    const from = a.got[0]!.from;
    assert.equal(from[0], '127.0.0.1');
    assert.equal(from[1], c.s.localPort);
    assert.equal(a.s.connections, 1);
    // Sends to that address go on the connection; to another address there is none (the packet is for UDP).
    assert.equal(a.s.send(Buffer.from('reply'), from), true);
    assert.equal(a.s.send(Buffer.from('reply'), ['127.0.0.1', 1]), false);
    assert.equal(b.s.send(Buffer.from('reply'), from), false);
    await waitFor('the framed reply', () => c.got.length === 1, 5000);
    assert.deepEqual(c.got[0], Buffer.from('reply'));
    assert.deepEqual(t.errors, []);
    // Leaving the mux closes the session's connections.
    a.s.close();
    await waitFor('closed', () => c.closed(), 5000);
    assert.equal(t.mux.connections, 0);
  } finally {
    await t.close();
  }
});

test('hostile connections are closed with a counted reason and hold nothing', async () => {
  const t = await setup({ maxConnections: 3, bindTimeoutMs: 300, perSession: 1 });
  try {
    t.session('srvA', 'cliA', 'password-of-session-a-22');
    // Not STUN: a DTLS record first.
    const notStun = await t.client();
    notStun.s.write(frame(Buffer.from([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])));
    await waitFor('not STUN closed', () => notStun.closed(), 5000);
    // A check with the wrong password, and one naming no session.
    const wrong = await t.client();
    wrong.s.write(frame(bindingRequest('srvA:cliA', 'not-the-password-at-all')));
    await waitFor('wrong password closed', () => wrong.closed(), 5000);
    const nobody = await t.client();
    nobody.s.write(frame(bindingRequest('zzzz:cliA', 'password-of-session-a-22')));
    await waitFor('unknown ufrag closed', () => nobody.closed(), 5000);
    assert.deepEqual(t.errors, ['WEBRTC_UNKNOWN_DATAGRAM', 'WEBRTC_UNKNOWN_DATAGRAM', 'WEBRTC_UNKNOWN_DATAGRAM']);
    t.errors.length = 0;
    // Oversized: a first frame announcing more than a Binding request can be.
    const big = await t.client();
    big.s.write(Buffer.from([0x08, 0x01]));
    await waitFor('oversized closed', () => big.closed(), 5000);
    assert.deepEqual(t.errors, ['WEBRTC_TCP_FRAME_TOO_LARGE']);
    t.errors.length = 0;
    // Slowloris: a lying length that never completes, and a connection that sends nothing.
    const lying = await t.client();
    lying.s.write(Buffer.concat([Buffer.from([0x00, 0x60]), Buffer.alloc(10)]));
    const silent = await t.client();
    // The cap: with two open, a third is accepted and a fourth refused.
    const third = await t.client();
    const fourth = await t.client();
    await waitFor('the fourth refused', () => fourth.closed(), 5000);
    assert.deepEqual(t.errors, ['WEBRTC_TCP_LIMIT']);
    await waitFor('the slow ones timed out', () => lying.closed() && silent.closed() && third.closed(), 5000);
    assert.deepEqual(t.errors.slice(1).sort(), ['WEBRTC_TCP_TIMEOUT', 'WEBRTC_TCP_TIMEOUT', 'WEBRTC_TCP_TIMEOUT']);
    assert.equal(t.mux.connections, 0);
    t.errors.length = 0;
    // One connection per session here: a second verified connection for the same session is refused.
    const first = await t.client();
    first.s.write(frame(bindingRequest('srvA:cliA', 'password-of-session-a-22')));
    await waitFor('first bound', () => t.mux.connections === 1 && t.errors.length === 0, 5000);
    const second = await t.client();
    second.s.write(frame(bindingRequest('srvA:cliA', 'password-of-session-a-22')));
    await waitFor('second refused', () => second.closed(), 5000);
    assert.deepEqual(t.errors, ['WEBRTC_MUX_ADDRESS_LIMIT']);
    // A bound connection still has a frame limit.
    first.s.write(Buffer.from([0xff, 0xff]));
    await waitFor('bound oversized closed', () => first.closed(), 5000);
    assert.deepEqual(t.errors, ['WEBRTC_MUX_ADDRESS_LIMIT', 'WEBRTC_TCP_FRAME_TOO_LARGE']);
  } finally {
    await t.close();
  }
});

test('ICE restart: the new credentials bind a connection, the previous generation still does', async () => {
  const t = await setup();
  try {
    const a = t.session('old1', 'cli1', 'old-password-of-a-22chr');
    a.s.rekey({ serverUfrag: 'new1', clientUfrag: 'cli2', serverPassword: 'new-password-of-a-22chr' });
    for (const [user, pw] of [
      ['new1:cli2', 'new-password-of-a-22chr'],
      ['old1:cli1', 'old-password-of-a-22chr'],
    ] as const) {
      const c = await t.client();
      c.s.write(frame(bindingRequest(user, pw)));
    }
    await waitFor('both bound', () => a.got.length === 2, 5000);
    // A second restart forgets the first generation.
    a.s.rekey({ serverUfrag: 'new2', clientUfrag: 'cli3', serverPassword: 'newer-password-of-a-22c' });
    const stale = await t.client();
    stale.s.write(frame(bindingRequest('old1:cli1', 'old-password-of-a-22chr')));
    await waitFor('stale refused', () => stale.closed(), 5000);
    assert.deepEqual(t.errors, ['WEBRTC_UNKNOWN_DATAGRAM']);
  } finally {
    await t.close();
  }
});
