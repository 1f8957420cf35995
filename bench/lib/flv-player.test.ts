import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import net from 'node:net';
import { test } from 'node:test';
import { FlvPlayer } from './flv-player.ts';

function tag(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(11);
  h[0] = type;
  h.writeUIntBE(body.length, 1, 3);
  const prev = Buffer.alloc(4);
  prev.writeUInt32BE(11 + body.length, 0);
  return Buffer.concat([h, body, prev]);
}

const flvHeader = Buffer.from('464c5601050000000900000000', 'hex');
const audio = tag(8, Buffer.from([0xaf, 0x01, 1, 2, 3]));
const sequenceHeader = tag(9, Buffer.from([0x17, 0x00, 0, 0, 0, 1, 0x64]));
const keyframe = tag(9, Buffer.concat([Buffer.from([0x17, 0x01, 0, 0, 0]), Buffer.alloc(3000, 0x55)]));

const chunked = (b: Buffer): Buffer =>
  Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await sleep(5);
}

/** Serves one response; `send` writes pieces with a pause between them so the player reads them apart. */
async function serve(t: { after(fn: () => void): void }): Promise<{ url: string; send: (b: Buffer) => Promise<void> }> {
  let socket: net.Socket | undefined;
  const server = net.createServer((s) => (socket = s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    socket?.destroy();
    server.close();
  });
  const port = (server.address() as net.AddressInfo).port;
  const send = async (b: Buffer): Promise<void> => {
    await until(() => socket !== undefined);
    for (let off = 0; off < b.length; off += 7) {
      socket?.write(b.subarray(off, off + 7));
      await sleep(1);
    }
  };
  return { url: `http://127.0.0.1:${port}/live/x.flv`, send };
}

test('times the first keyframe when its last byte arrives through chunked coding, not the sequence header', async (t) => {
  const { url, send } = await serve(t);
  const p = new FlvPlayer({ url, stall: false });
  t.after(() => p.close());
  await send(Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: video/x-flv\r\nTransfer-Encoding: chunked\r\n\r\n'));
  const body = Buffer.concat([flvHeader, audio, sequenceHeader, keyframe]);
  // Chunk boundaries that fall inside tag headers, as a server's merged writes do.
  await send(
    Buffer.concat([
      chunked(body.subarray(0, 20)),
      chunked(body.subarray(20, 40)),
      chunked(body.subarray(40, body.length - 5)),
    ]),
  );
  await until(() => p.firstByteAt >= 0);
  await sleep(20);
  assert.ok(p.firstByteAt >= 0, 'the body has begun');
  assert.equal(p.firstKeyAt, -1, 'the keyframe is not complete yet');
  await send(chunked(body.subarray(body.length - 5)));
  await until(() => p.firstKeyAt >= 0);
  assert.ok(p.firstKeyAt >= p.firstByteAt);
  assert.equal(p.error, '');
});

test('reads a close-delimited body too, and reports a non-200 status as an error', async (t) => {
  const ok = await serve(t);
  const p = new FlvPlayer({ url: ok.url, stall: false });
  t.after(() => p.close());
  await ok.send(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\n\r\n'), flvHeader, sequenceHeader, keyframe]));
  await until(() => p.firstKeyAt >= 0);
  assert.ok(p.firstKeyAt >= 0);

  const bad = await serve(t);
  const q = new FlvPlayer({ url: bad.url, stall: false });
  await bad.send(Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'));
  await until(() => q.error !== '');
  assert.equal(q.error, 'HTTP 404');
});
