import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import type { ErrorCode } from '../../errors.ts';
import { bindingRequest } from '../../../test/support/stun.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { UdpMux, type MuxSessionInit } from './udp-mux.ts';

async function setup(maxAddressesPerSession = 8) {
  const errors: ErrorCode[] = [];
  let clock = 1_000;
  const mux = new UdpMux({
    host: '127.0.0.1',
    port: 0,
    maxAddressesPerSession,
    silenceTimeoutMs: 10_000,
    bufferBytes: 1 << 20,
    countError: (c) => errors.push(c),
    now: () => clock,
  });
  await mux.start();
  const clients: Socket[] = [];
  const client = async () => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1');
    await once(s, 'listening');
    clients.push(s);
    return s;
  };
  const send = (s: Socket, b: Buffer) => new Promise<void>((r) => s.send(b, mux.port, '127.0.0.1', () => r()));
  const session = (serverUfrag: string, clientUfrag: string, serverPassword: string) => {
    const got: { data: Buffer; from: [string, number] }[] = [];
    let silent = 0;
    const init: MuxSessionInit = {
      serverUfrag,
      clientUfrag,
      serverPassword,
      deliver: (data, from) => got.push({ data, from }),
      onSilent: () => silent++,
    };
    return { got, silent: () => silent, s: mux.register(init) };
  };
  const close = async () => {
    for (const c of clients) c.close();
    await mux.close();
  };
  return { mux, errors, client, send, session, close, tick: (ms: number) => (clock += ms) };
}

test('a verified check binds the client address; its later datagrams and the replies go through the one port', async () => {
  const t = await setup();
  try {
    const a = t.session('srv1', 'cli1', 'password-of-session-a-22');
    const b = t.session('srv2', 'cli2', 'password-of-session-b-22');
    const c = await t.client();
    const rtp = Buffer.from([0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
    // Media before any check is an unknown source: dropped and counted.
    await t.send(c, rtp);
    await waitFor('the drop', () => t.errors.length === 1, 5000);
    assert.deepEqual(t.errors, ['WEBRTC_UNKNOWN_DATAGRAM']);
    assert.equal(a.got.length + b.got.length, 0);
    await t.send(c, bindingRequest('srv2:cli2', 'password-of-session-b-22'));
    await t.send(c, rtp);
    await waitFor('delivery to session b', () => b.got.length === 2, 5000);
    assert.equal(a.got.length, 0);
    assert.equal(b.got[1]!.data.equals(rtp), true);
    assert.deepEqual(b.got[1]!.from, ['127.0.0.1', c.address().port]);
    assert.equal(b.s.addresses, 1);
    // Replies reach the bound address from the mux port; an address the client never sent from is refused.
    const reply = once(c, 'message');
    assert.equal(b.s.send(Buffer.from('dtls'), ['127.0.0.1', c.address().port]), true);
    const [msg, rinfo] = (await reply) as [Buffer, { port: number }];
    assert.equal(msg.toString(), 'dtls');
    assert.equal(rinfo.port, t.mux.port);
    assert.equal(b.s.send(Buffer.from('x'), ['127.0.0.1', 9]), false);
    assert.equal(a.s.send(Buffer.from('x'), ['127.0.0.1', c.address().port]), false);
    // Closed: the address is unbound and its datagrams are unknown again.
    b.s.close();
    b.s.close();
    await t.send(c, rtp);
    await waitFor('the second drop', () => t.errors.length === 2, 5000);
    assert.equal(b.got.length, 2);
    assert.equal(t.mux.sessions, 1);
  } finally {
    await t.close();
  }
});

test('hostile checks bind nothing: unknown ufrag, wrong password, no integrity, garbage; all counted', async () => {
  const t = await setup();
  try {
    const a = t.session('srv1', 'cli1', 'password-of-session-a-22');
    const c = await t.client();
    const noMac = bindingRequest('srv1:cli1', 'x').subarray(0, 20 + 16);
    noMac.writeUInt16BE(16, 2);
    const hostile = [
      bindingRequest('nope:cli1', 'password-of-session-a-22'),
      bindingRequest('srv1:cli9', 'password-of-session-a-22'),
      bindingRequest('srv1:cli1', 'a-guessed-password-xxxx'),
      noMac,
      Buffer.from([0, 1, 0, 4, 0x21, 0x12]),
      Buffer.alloc(1500, 0xff),
    ];
    for (const h of hostile) await t.send(c, h);
    await waitFor('every drop counted', () => t.errors.length === hostile.length, 5000);
    assert.ok(t.errors.every((e) => e === 'WEBRTC_UNKNOWN_DATAGRAM'));
    assert.equal(a.got.length, 0);
    assert.equal(a.s.addresses, 0);
  } finally {
    await t.close();
  }
});

test('two sessions with the same ufrags are told apart by their passwords; the address table is capped', async () => {
  const t = await setup(2);
  try {
    const a = t.session('same', 'cli', 'password-of-session-a-22');
    const b = t.session('same', 'cli', 'password-of-session-b-22');
    const clients = [await t.client(), await t.client(), await t.client()];
    for (const c of clients) await t.send(c, bindingRequest('same:cli', 'password-of-session-b-22'));
    await waitFor('two bound, one refused', () => b.got.length === 2 && t.errors.length === 1, 5000);
    assert.deepEqual(t.errors, ['WEBRTC_MUX_ADDRESS_LIMIT']);
    assert.equal(a.got.length, 0);
    assert.equal(b.s.addresses, 2);
  } finally {
    await t.close();
  }
});

test('a client silent for silenceTimeoutMs is reported once and leaves the tables', async () => {
  const t = await setup();
  try {
    const a = t.session('srv1', 'cli1', 'password-of-session-a-22');
    const c = await t.client();
    await t.send(c, bindingRequest('srv1:cli1', 'password-of-session-a-22'));
    await waitFor('bound', () => a.got.length === 1, 5000);
    t.tick(6_000);
    t.mux.sweep(); // heard since the last sweep: the silence starts now
    t.tick(6_000);
    t.mux.sweep();
    assert.equal(a.silent(), 0);
    t.tick(5_000);
    t.mux.sweep();
    t.mux.sweep();
    assert.equal(a.silent(), 1);
    assert.equal(t.mux.sessions, 0);
    assert.equal(a.s.addresses, 0);
  } finally {
    await t.close();
  }
});
