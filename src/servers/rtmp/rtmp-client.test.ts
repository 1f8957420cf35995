import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { amf0Object } from '../../protocol/amf0/amf0-value.ts';
import { encodeRtmpMedia } from '../../protocol/rtmp/chunk-encoder.ts';
import { ServerSession, type ServerSessionEvent } from '../../protocol/rtmp/server-session.ts';
import { mediaMessage, MediaType, type MediaMessage } from '../../protocol/media.ts';
import { parseRtmpUrl, RtmpClient } from './rtmp-client.ts';

const frames: MediaMessage[] = [
  mediaMessage(MediaType.Video, 0, Buffer.from('1700000000014d401fffe1', 'hex')),
  mediaMessage(MediaType.Audio, 0, Buffer.from('af001210', 'hex')),
  mediaMessage(MediaType.Video, 40, Buffer.concat([Buffer.from('1701000000', 'hex'), Buffer.alloc(20_000, 7)])),
];

/** A scripted RTMP server over ServerSession: accepts `good*` publishes and plays, records what it got. */
class ScriptedServer {
  readonly server: Server;
  readonly events: ServerSessionEvent[] = [];
  readonly sockets = new Set<Socket>();

  constructor() {
    this.server = createServer((socket) => this.#serve(socket));
  }

  get url(): string {
    return `rtmp://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  #serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const session = new ServerSession();
    const flush = () => {
      for (const b of session.drain()) socket.write(b);
    };
    socket.on('data', (data: Buffer) => {
      for (const e of session.receive(data)) {
        this.events.push(e);
        if (e.type === 'connect') {
          if (e.app === 'live') session.acceptConnect();
          else session.rejectConnect(`18/404 unknown app ${e.app}`);
        } else if (e.type === 'publish') {
          if (e.name.startsWith('good')) session.acceptPublish(e.streamId);
          else session.rejectPublish(e.streamId, 'NetStream.Publish.BadName', '18/503 signature mismatch');
        } else if (e.type === 'play') {
          session.acceptPlay(e.streamId);
          flush();
          for (const f of frames) socket.write(encodeRtmpMedia(f, session.outChunkSize, e.streamId));
        }
      }
      flush();
    });
  }
}

describe('parseRtmpUrl', () => {
  it('splits host, port, app and stream with its query, and builds the tcUrl as ffmpeg does', () => {
    assert.deepEqual(parseRtmpUrl('rtmp://example.com/live/cam?txSecret=a&txTime=b'), {
      host: 'example.com',
      port: 1935,
      app: 'live',
      stream: 'cam?txSecret=a&txTime=b',
      tcUrl: 'rtmp://example.com/live',
      secure: false,
    });
    assert.deepEqual(parseRtmpUrl('rtmp://[::1]:1936/live'), {
      host: '::1',
      port: 1936,
      app: 'live',
      stream: '',
      tcUrl: 'rtmp://[::1]:1936/live',
      secure: false,
    });
    // RTMPS (YouTube, Facebook ingest): TLS, port 443 unless given, and the tcUrl keeps the scheme.
    assert.deepEqual(parseRtmpUrl('rtmps://a.example/app/k'), {
      host: 'a.example',
      port: 443,
      app: 'app',
      stream: 'k',
      tcUrl: 'rtmps://a.example/app',
      secure: true,
    });
    assert.throws(() => parseRtmpUrl('http://example.com/live/x'), { code: 'CONFIG_INVALID' });
    assert.throws(() => parseRtmpUrl('no url'), { code: 'CONFIG_INVALID' });
  });
});

describe('RtmpClient', () => {
  const scripted = new ScriptedServer();
  before(async () => {
    scripted.server.listen(0, '127.0.0.1');
    await once(scripted.server, 'listening');
  });
  after(() => {
    for (const s of scripted.sockets) s.destroy();
    scripted.server.close();
  });

  it('publishes media and metadata that the server receives intact', async () => {
    const client = await RtmpClient.connect(`${scripted.url}/live/good?k=v`, { timeoutMs: 5000 });
    assert.deepEqual(client.handshakeWarnings, []);
    const streamId = await client.publish();
    assert.equal(streamId, 1);
    client.sendMetadata(amf0Object({ width: 320 }));
    for (const f of frames) client.sendMedia(f);
    await client.close();
    const got = scripted.events.filter(
      (e) => e.type === 'publish' || e.type === 'media' || e.type === 'metadata' || e.type === 'unpublish',
    );
    const publish = got[0];
    assert.ok(publish?.type === 'publish');
    assert.deepEqual([publish.name, publish.query.get('k')], ['good', 'v']);
    assert.deepEqual(
      got.slice(2).map((e) => (e.type === 'media' ? e.message : e)),
      [...frames, { type: 'unpublish', streamId: 1, reason: 'deleteStream' }],
    );
  });

  it('rejects publish with the server’s onStatus description', async () => {
    const client = await RtmpClient.connect(`${scripted.url}/live/bad`, { timeoutMs: 5000 });
    await assert.rejects(client.publish(), {
      code: 'RTMP_REJECTED',
      message: '18/503 signature mismatch',
      status: 'NetStream.Publish.BadName',
    });
    await client.close();
  });

  it('rejects connect with the server’s _error description', async () => {
    await assert.rejects(RtmpClient.connect(`${scripted.url}/nope/x`, { timeoutMs: 5000 }), {
      code: 'RTMP_REJECTED',
      message: '18/404 unknown app nope',
      status: 'NetConnection.Connect.Rejected',
    });
  });

  it('plays, yielding the media the server sends', async () => {
    const client = await RtmpClient.connect(`${scripted.url}/live/any`, { timeoutMs: 5000, digest: false });
    await client.play();
    const got: MediaMessage[] = [];
    for await (const m of client.media()) {
      got.push(m);
      if (got.length === frames.length) break;
    }
    assert.deepEqual(got, frames);
    await client.close();
  });

  it('hands played media to onMedia synchronously, after the Play.Start its onStatus saw (edge pulls)', async () => {
    const seen: string[] = [];
    const got: MediaMessage[] = [];
    const client = await RtmpClient.connect(`${scripted.url}/live/any`, {
      timeoutMs: 5000,
      digest: false,
      onStatus: (code) => seen.push(code),
      onMedia: (msg) => (got.push(msg), seen.push(`media@${seen.length}`)),
    });
    await client.play();
    const deadline = Date.now() + 5000;
    while (got.length < frames.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(got, frames);
    assert.deepEqual(seen.slice(0, 3), ['NetStream.Play.Reset', 'NetStream.Play.Start', 'media@2']);
    await client.close();
  });

  it('times out, explicitly, against a server that never answers', async () => {
    const silent = createServer(() => {});
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const port = (silent.address() as AddressInfo).port;
    const started = Date.now();
    await assert.rejects(RtmpClient.connect(`rtmp://127.0.0.1:${port}/live/x`, { timeoutMs: 200 }), {
      code: 'RTMP_HANDSHAKE_TIMEOUT',
    });
    assert.ok(Date.now() - started < 2000);
    silent.close();
  });
});
