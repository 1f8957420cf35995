import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { SessionPair } from '../../../test/support/rtmp-session-pair.ts';
import { amf0Object } from '../amf0/amf0-value.ts';
import { mediaMessage, MediaType } from '../media.ts';
import { encodeRtmpMedia } from './chunk-encoder.ts';
import type { ClientSessionEvent } from './client-session.ts';

const avcHeader = mediaMessage(MediaType.Video, 0, Buffer.from('1700000000014d401fffe1', 'hex'));
const aacHeader = mediaMessage(MediaType.Audio, 0, Buffer.from('af001210', 'hex'));
const keyframe = (ts: number, size = 3000) =>
  mediaMessage(MediaType.Video, ts, Buffer.concat([Buffer.from('1701000000', 'hex'), Buffer.alloc(size, ts & 0xff)]));

function statuses(events: ClientSessionEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'status' ? [`${e.level} ${e.code}@${e.streamId}`] : []));
}

describe('ClientSession ↔ ServerSession', () => {
  it('publishes as OBS does: connect with a query, releaseStream/FCPublish/createStream/publish?query, media, deleteStream', () => {
    const pair = new SessionPair({ epoch: 1 }, { chunkSize: 4096 });
    pair.client.connect('rtmp://example.com/live?vhost=v', 'live?vhost=v', { fourCcList: ['hvc1'] });
    assert.equal(pair.client.state, 'handshake', 'connect is held until the handshake completes');
    pair.pump();
    const [hs, connect] = pair.takeServer();
    assert.deepEqual(hs, { type: 'handshake-done' });
    assert.ok(connect?.type === 'connect');
    assert.equal(connect.app, 'live');
    assert.equal(connect.query.get('vhost'), 'v');
    assert.equal(pair.client.state, 'connecting');
    pair.server.acceptConnect();
    pair.pump();
    assert.equal(pair.client.state, 'connected');
    const clientEvents = pair.takeClient();
    assert.deepEqual(clientEvents[0], { type: 'handshake-done', warnings: [] });
    const result = clientEvents.find((e) => e.type === 'result');
    assert.ok(result?.type === 'result' && result.transactionId === 1);
    assert.deepEqual((result.commandObject as Map<string, unknown>).get('fourCcList'), ['hvc1']);
    assert.equal((result.args[0] as Map<string, unknown>).get('code'), 'NetConnection.Connect.Success');
    const controls = clientEvents.flatMap((e) => (e.type === 'control' ? [e.message.type] : []));
    assert.deepEqual(controls, ['window-ack-size', 'set-peer-bandwidth', 'set-chunk-size']);

    const rawName = 'cam?txSecret=abc&txTime=6553F100';
    pair.client.preparePublish(rawName);
    const tx = pair.client.createStream();
    pair.pump();
    const created = pair.takeClient().find((e) => e.type === 'result' && e.transactionId === tx);
    assert.ok(created?.type === 'result');
    const streamId = created.args[0] as number;
    assert.equal(streamId, 1);
    pair.client.publish(streamId, rawName);
    pair.pump();
    const [publish] = pair.takeServer();
    assert.deepEqual(publish, {
      type: 'publish',
      streamId: 1,
      name: 'cam',
      query: new URLSearchParams('txSecret=abc&txTime=6553F100'),
      rawName,
      publishType: 'live',
    });
    pair.server.acceptPublish(streamId);
    pair.pump();
    assert.deepEqual(statuses(pair.takeClient()), ['status NetStream.Publish.Start@1']);

    pair.client.setChunkSize(1000);
    pair.client.sendMetadata(streamId, amf0Object({ width: 640, height: 360 }));
    const sent = [avcHeader, aacHeader, keyframe(0), keyframe(40), keyframe(0x1000000)];
    for (const m of sent) pair.client.sendMedia(streamId, m);
    pair.pump();
    const [chunkSize, metadata, ...media] = pair.takeServer();
    assert.deepEqual(
      chunkSize,
      { type: 'chunk-size', size: 1000 },
      "the encoder's Set Chunk Size is reported (push error type 5)",
    );
    assert.ok(metadata?.type === 'metadata');
    assert.deepEqual(metadata.metadata, amf0Object({ width: 640, height: 360 }));
    assert.deepEqual(
      media,
      sent.map((message) => ({ type: 'media', streamId: 1, message })),
    );

    pair.client.deleteStream(streamId);
    pair.pump();
    assert.deepEqual(pair.takeServer(), [{ type: 'unpublish', streamId: 1, reason: 'deleteStream' }]);
  });

  it('plays: Play.Start, then media the server encodes once for every player', () => {
    const pair = new SessionPair().connect();
    const tx = pair.client.createStream();
    pair.pump();
    assert.ok(pair.takeClient().some((e) => e.type === 'result' && e.transactionId === tx && e.args[0] === 1));
    pair.client.play(1, 'cam?sign=x');
    pair.pump();
    const [play] = pair.takeServer();
    assert.ok(play?.type === 'play' && play.name === 'cam' && play.start === -2);
    pair.server.acceptPlay(1);
    pair.pump();
    const started = pair.takeClient();
    assert.deepEqual(statuses(started), ['status NetStream.Play.Reset@1', 'status NetStream.Play.Start@1']);
    assert.deepEqual(
      started.flatMap((e) => (e.type === 'data' ? [e.name] : [])),
      ['|RtmpSampleAccess'],
    );
    const messages = [avcHeader, aacHeader, keyframe(0, 10_000), keyframe(0xfffffff0)];
    const shared = messages.map((m) => encodeRtmpMedia(m, pair.server.outChunkSize, 1));
    pair.pump(shared);
    const got = pair.takeClient();
    assert.deepEqual(
      got,
      messages.map((message) => ({ type: 'media', streamId: 1, message })),
    );
  });

  it('acknowledges the server’s window and answers its ping', () => {
    const pair = new SessionPair({}, { windowAckSize: 8000 }).connect();
    pair.takeClient();
    pair.client.createStream();
    pair.pump();
    pair.client.publish(1, 'a');
    pair.pump();
    pair.server.acceptPublish(1);
    for (let i = 0; i < 10; i++) pair.client.sendMedia(1, keyframe(i * 40, 2000));
    pair.pump();
    const acks = pair
      .takeClient()
      .flatMap((e) => (e.type === 'control' && e.message.type === 'acknowledgement' ? [e.message.sequenceNumber] : []));
    assert.ok(acks.length >= 2, `acks: ${acks}`);
    assert.ok(acks.every((a, i) => i === 0 || a - acks[i - 1]! >= 8000));
    pair.takeServer();
    pair.server.ping(123456);
    pair.pump();
    assert.deepEqual(pair.takeServer(), [{ type: 'pong', timestamp: 123456 }]);
  });

  it('surfaces a rejected publish as an error status with the description', () => {
    const pair = new SessionPair().connect();
    pair.client.createStream();
    pair.pump();
    pair.client.publish(1, 'cam');
    pair.pump();
    pair.server.rejectPublish(1, 'NetStream.Publish.BadName', '18/503 signature mismatch');
    pair.pump();
    const status = pair.takeClient().find((e) => e.type === 'status');
    assert.ok(status?.type === 'status');
    assert.deepEqual(
      [status.level, status.code, status.description],
      ['error', 'NetStream.Publish.BadName', '18/503 signature mismatch'],
    );
  });
});
