import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../errors.ts';
import { ffmpegPublishCapture } from '../../../test/support/rtmp-fixtures.ts';
import { countingRandom } from '../../../test/support/rtmp-session-pair.ts';
import { decodeAmf0All } from '../amf0/amf0-decoder.ts';
import { amf0Object } from '../amf0/amf0-value.ts';
import { ChunkDecoder } from './chunk-decoder.ts';
import { encodeChunks } from './chunk-encoder.ts';
import { decodeCommand, encodeCommand, splitStreamName } from './commands.ts';
import { decodeControl, isControlType } from './control-messages.ts';
import { HandshakeSize } from './handshake.ts';
import { ServerSession, type ServerSessionEvent } from './server-session.ts';

/** Reads what the server wrote (after the handshake) as a player or encoder would. */
class Peer {
  #decoder = new ChunkDecoder();
  read(session: ServerSession): string[] {
    const out: string[] = [];
    for (const msg of this.#decoder.push(Buffer.concat(session.drain()))) {
      if (isControlType(msg.typeId)) {
        const ctl = decodeControl(msg.typeId, msg.payload);
        if (ctl.type === 'set-chunk-size') this.#decoder.setChunkSize(ctl.chunkSize);
        out.push(`${ctl.type} ${JSON.stringify(Object.values(ctl).slice(1))}`);
      } else if (msg.typeId === 20) {
        const c = decodeCommand(20, msg.payload);
        const info = c.args[0] instanceof Map ? ` ${c.args[0].get('code')}` : ` ${JSON.stringify(c.args)}`;
        out.push(`${c.name}(${c.transactionId})@${msg.streamId}${info}`);
      } else {
        out.push(
          `data@${msg.streamId} ${JSON.stringify(decodeAmf0All(msg.payload).map((v) => (v instanceof Map ? Object.fromEntries(v) : v)))}`,
        );
      }
    }
    return out;
  }
}

function command(
  name: string,
  tx: number,
  obj: Parameters<typeof encodeCommand>[2],
  ...args: Parameters<typeof encodeCommand>[3][]
) {
  return (streamId = 0) =>
    encodeChunks({ csid: 3, typeId: 20, streamId, timestamp: 0, payload: encodeCommand(name, tx, obj, ...args) }, 128);
}

/** A server past the simple handshake (C0 C1 C2 of zeros), its output drained. */
function handshaken(options = {}): ServerSession {
  const s = new ServerSession({ random: countingRandom(0), ...options });
  s.receive(Buffer.concat([Buffer.of(3), Buffer.alloc(2 * HandshakeSize)]));
  s.drain();
  return s;
}

function connected(options = {}, connectObject = amf0Object({ app: 'live', tcUrl: 'rtmp://h/live' })): ServerSession {
  const s = handshaken(options);
  s.receive(command('connect', 1, connectObject)());
  s.acceptConnect();
  s.drain();
  return s;
}

const isCode = (code: string) => (err: unknown) => err instanceof ProtocolError && err.code === code;

describe('ServerSession replaying ffmpeg', () => {
  it('turns ffmpeg’s publish into connect, publish, metadata, media and unpublish, answering as ffmpeg expects', () => {
    const cap = ffmpegPublishCapture();
    const s = new ServerSession({ random: countingRandom(0), epoch: 0 });
    const peer = new Peer();
    assert.deepEqual(s.receive(cap.c0c1), []);
    assert.equal(Buffer.concat(s.drain()).length, 1 + 2 * HandshakeSize);
    assert.deepEqual(s.receive(cap.c2), [{ type: 'handshake-done' }]);
    assert.equal(s.digestHandshake, true, 'ffmpeg sends a digest C1');
    assert.equal(s.state, 'connecting');

    const events: ServerSessionEvent[] = [];
    const replies: string[] = [];
    // Byte by byte, deciding when the decision events appear, as conn.ts would.
    for (let i = 0; i < cap.chunks.length; i++) {
      for (const e of s.receive(cap.chunks.subarray(i, i + 1))) {
        events.push(e);
        if (e.type === 'connect') s.acceptConnect();
        if (e.type === 'publish') s.acceptPublish(e.streamId);
      }
      replies.push(...peer.read(s));
    }
    const [connect, publish, metadata] = events;
    assert.ok(connect?.type === 'connect');
    assert.equal(connect.app, 'live');
    assert.equal(connect.tcUrl, 'rtmp://127.0.0.1:44811/live');
    assert.equal(connect.query.size, 0);
    assert.equal(connect.objectEncoding, 0);
    assert.equal(connect.command.get('flashVer'), 'FMLE/3.0 (compatible; Lavf59.27.100)');
    assert.ok(publish?.type === 'publish');
    assert.deepEqual(
      [publish.streamId, publish.name, publish.query.get('k'), publish.rawName, publish.publishType],
      [1, 'x', 'v', 'x?k=v', 'live'],
    );
    assert.ok(metadata?.type === 'metadata');
    assert.equal((metadata.metadata as Map<string, unknown>).get('width'), 320);
    assert.equal(metadata.message.type, 18);
    assert.deepEqual(decodeAmf0All(metadata.message.payload)[0], 'onMetaData', '@setDataFrame stripped');
    const media = events.filter((e) => e.type === 'media');
    assert.ok(media.length >= 25);
    assert.ok(media[0]?.type === 'media' && media[0].message.sequenceHeader, 'AVC sequence header first');
    assert.ok(media[1]?.type === 'media' && media[1].message.keyframe);
    assert.deepEqual(events.slice(3 + media.length), [{ type: 'unpublish', streamId: 1, reason: 'FCUnpublish' }]);
    assert.deepEqual(replies, [
      'window-ack-size [2500000]',
      'set-peer-bandwidth [2500000,2]',
      'set-chunk-size [4096]',
      '_result(1)@0 NetConnection.Connect.Success',
      '_result(2)@0 [null]',
      '_result(3)@0 [null]',
      'onFCPublish(0)@0 NetStream.Publish.Start',
      '_result(4)@0 [1]',
      'user-control [0,1]',
      'onStatus(0)@1 NetStream.Publish.Start',
      '_result(6)@0 [null]',
      'onFCUnpublish(0)@0 NetStream.Unpublish.Success',
    ]);
  });
});

describe('ServerSession connect', () => {
  it('merges the query of app and tcUrl, strips a trailing slash and keeps a sub-app', () => {
    const s = handshaken();
    const obj = amf0Object({ app: 'live/sub/?token=a&x=1', tcUrl: 'rtmp://h/live/sub?token=a&y=2' });
    const [e] = s.receive(command('connect', 1, obj)());
    assert.ok(e?.type === 'connect');
    assert.equal(e.app, 'live/sub');
    assert.equal(e.query.toString(), 'token=a&y=2&x=1');
  });

  it('answers Enhanced RTMP fourCcList and capsEx in the connect _result with its own values', () => {
    const s = handshaken();
    const obj = amf0Object({ app: 'live', fourCcList: ['hvc1', 'av01', 'zzzz'], capsEx: 1 });
    s.receive(command('connect', 1, obj)());
    s.acceptConnect();
    const out = new ChunkDecoder();
    out.setChunkSize(4096);
    const result = out.push(Buffer.concat(s.drain())).filter((m) => m.typeId === 20)[0]!;
    const props = decodeCommand(20, result.payload).commandObject as Map<string, unknown>;
    assert.deepEqual(props.get('fourCcList'), ['hvc1', 'av01']);
    assert.equal(props.get('capsEx'), 15);
    assert.equal(props.get('fmsVer'), 'FMS/3,5,7,7009');
    assert.equal(s.peerCapabilities.reconnect, true);
    assert.equal(s.peerCapabilities.multitrack, false);
  });

  it('rejects with _error NetConnection.Connect.Rejected and closes', () => {
    const s = handshaken();
    s.receive(command('connect', 1, amf0Object({ app: 'nope' }))());
    s.rejectConnect('18/404 unknown app');
    assert.deepEqual(new Peer().read(s), ['_error(1)@0 NetConnection.Connect.Rejected']);
    assert.equal(s.state, 'closed');
    assert.deepEqual(s.receive(command('createStream', 2, null)()), []);
  });

  it('refuses stream commands before a successful connect, and a second connect', () => {
    for (const name of ['publish', 'play', 'createStream', 'releaseStream']) {
      assert.throws(() => handshaken().receive(command(name, 2, null, 'x')(1)), isCode('RTMP_STATE'), name);
    }
    assert.throws(
      () => connected().receive(command('connect', 1, amf0Object({ app: 'live' }))()),
      isCode('RTMP_STATE'),
    );
    assert.throws(() => handshaken().receive(command('connect', 1, null)()), isCode('RTMP_COMMAND_INVALID'));
  });

  it('holds commands pipelined behind connect and answers them in order once it is accepted', () => {
    const s = handshaken();
    const peer = new Peer();
    const pipelined = Buffer.concat([
      command('connect', 1, amf0Object({ app: 'live' }))(),
      command('releaseStream', 2, null, 'cam')(),
      command('FCPublish', 3, null, 'cam')(),
      command('createStream', 4, null)(),
      command('publish', 5, null, 'cam', 'live')(1),
      encodeChunks({ csid: 7, typeId: 9, streamId: 1, timestamp: 0, payload: Buffer.of(0x17, 0) }, 128),
    ]);
    assert.deepEqual(
      s.receive(pipelined).map((e) => e.type),
      ['connect'],
    );
    assert.deepEqual(s.pendingDecision, { kind: 'connect' });
    assert.equal(s.queuedMessages, 5);
    const afterConnect = s.acceptConnect();
    assert.deepEqual(
      afterConnect.map((e) => e.type),
      ['publish'],
      'createStream ran; the publish is the next decision',
    );
    assert.deepEqual(s.pendingDecision, { kind: 'publish', streamId: 1 });
    assert.deepEqual(
      s.acceptPublish(1).map((e) => e.type),
      ['media'],
      'the early video frame reaches the stream',
    );
    assert.deepEqual(
      peer.read(s).filter((r) => !r.startsWith('window') && !r.startsWith('set-')),
      [
        '_result(1)@0 NetConnection.Connect.Success',
        '_result(2)@0 [null]',
        '_result(3)@0 [null]',
        'onFCPublish(0)@0 NetStream.Publish.Start',
        '_result(4)@0 [1]',
        'user-control [0,1]',
        'onStatus(0)@1 NetStream.Publish.Start',
      ],
    );
  });

  it('refuses a peer that keeps sending while a decision is pending, past the queue bounds', () => {
    const s = handshaken({ maxQueuedMessages: 3 });
    s.receive(command('connect', 1, amf0Object({ app: 'live' }))());
    s.receive(Buffer.concat([command('hello', 0, null)(), command('hello', 0, null)(), command('hello', 0, null)()]));
    assert.throws(() => s.receive(command('hello', 0, null)()), isCode('RTMP_COMMAND_QUEUE_LIMIT'));
    const b = handshaken({ maxQueuedBytes: 100 });
    b.receive(command('connect', 1, amf0Object({ app: 'live' }))());
    assert.throws(() => b.receive(command('hello', 0, null, 'x'.repeat(100))()), isCode('RTMP_COMMAND_QUEUE_LIMIT'));
  });

  it('answers pings at once while a decision is pending, and drops the held commands when connect is rejected', () => {
    const s = handshaken();
    const ping = encodeChunks(
      { csid: 2, typeId: 4, streamId: 0, timestamp: 0, payload: Buffer.from('000600000001', 'hex') },
      128,
    );
    s.receive(
      Buffer.concat([command('connect', 1, amf0Object({ app: 'live' }))(), command('createStream', 2, null)(), ping]),
    );
    assert.deepEqual(new Peer().read(s), ['ping-response [1]']);
    assert.deepEqual(s.rejectConnect('18/404 no such app'), []);
    assert.equal(s.queuedMessages, 0);
    assert.equal(s.pendingDecision, undefined);
  });
});

describe('ServerSession streams', () => {
  it('rejects a publish with an error onStatus and drops the media that follows', () => {
    const s = connected();
    s.receive(command('createStream', 2, null)());
    const [e] = s.receive(command('publish', 3, null, 'x?txTime=1', 'live')(1));
    assert.ok(e?.type === 'publish');
    s.drain();
    s.rejectPublish(1, 'NetStream.Publish.BadName', '18/501 txTime expired');
    assert.deepEqual(new Peer().read(s).slice(-1), ['onStatus(0)@1 NetStream.Publish.BadName']);
    const video = encodeChunks({ csid: 7, typeId: 9, streamId: 1, timestamp: 0, payload: Buffer.of(0x17, 1) }, 4096);
    const events = s.receive(video);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.type, 'ignored');
  });

  it('never emits media or metadata for a stream other than the accepted publishing one', () => {
    const s = connected();
    s.receive(Buffer.concat([command('createStream', 2, null)(), command('createStream', 3, null)()]));
    s.receive(command('publish', 4, null, 'a')(1));
    s.acceptPublish(1);
    const onStream = (id: number, type: number, payload: Buffer) =>
      encodeChunks({ csid: 7, typeId: type, streamId: id, timestamp: 0, payload }, 4096);
    const meta = encodeCommand('@setDataFrame', 'onMetaData' as never, null);
    const events = s.receive(
      Buffer.concat([
        onStream(2, 9, Buffer.of(0x17, 1)),
        onStream(0, 8, Buffer.of(0xaf, 1)),
        onStream(2, 18, meta),
        onStream(1, 9, Buffer.of(0x27, 1)),
      ]),
    );
    assert.deepEqual(
      events.map((e) => e.type),
      ['ignored', 'ignored', 'ignored', 'media'],
    );
  });

  it('answers play with StreamBegin, Play.Reset, Play.Start and |RtmpSampleAccess, and no other data message', () => {
    const s = connected();
    const peer = new Peer();
    peer.read(s);
    s.receive(command('createStream', 2, null)());
    const [e] = s.receive(command('play', 3, null, 'cam?sign=1', -1000)(1));
    assert.ok(e?.type === 'play');
    assert.deepEqual([e.name, e.rawName, e.query.get('sign'), e.start], ['cam', 'cam?sign=1', '1', -1000]);
    s.acceptPlay(1);
    s.unpublishNotify(1);
    s.publishNotify(1);
    assert.deepEqual(peer.read(s), [
      '_result(2)@0 [1]',
      'user-control [0,1]',
      'onStatus(0)@1 NetStream.Play.Reset',
      'onStatus(0)@1 NetStream.Play.Start',
      // A NetStream.Data.Start data message here would show up in ffprobe as an extra data stream.
      'data@1 ["|RtmpSampleAccess",true,true]',
      'onStatus(0)@1 NetStream.Play.UnpublishNotify',
      'user-control [1,1]',
      'user-control [0,1]',
      'onStatus(0)@1 NetStream.Play.PublishNotify',
    ]);
    assert.deepEqual(s.receive(command('deleteStream', 4, null, 1)()), [
      { type: 'stop-play', streamId: 1, reason: 'deleteStream' },
    ]);
  });

  it('answers getStreamLength, _checkbw and unknown commands, and reports what it ignores', () => {
    const s = connected();
    const peer = new Peer();
    peer.read(s);
    const events = s.receive(
      Buffer.concat([
        command('getStreamLength', 2, null, 'x')(),
        command('_checkbw', 3, null)(),
        command('launchMissiles', 4, null)(),
        command('pause', 0, null, true)(),
      ]),
    );
    assert.deepEqual(events, [
      { type: 'ignored', what: 'unknown command launchMissiles' },
      { type: 'ignored', what: 'command pause true' },
    ]);
    assert.deepEqual(peer.read(s), [
      '_result(2)@0 [0]',
      '_result(3)@0 [null]',
      '_error(4)@0 NetConnection.Call.Failed',
    ]);
  });

  it('holds a deleteStream sent right behind a publish until the decision, then stops the stream', () => {
    const s = connected();
    s.receive(command('createStream', 2, null)());
    assert.deepEqual(
      s.receive(command('publish', 3, null, 'a')(1)).map((e) => e.type),
      ['publish'],
    );
    assert.deepEqual(s.receive(command('deleteStream', 4, null, 1)()), [], 'held while the publish is decided');
    assert.equal(s.queuedMessages, 1);
    s.drain();
    assert.deepEqual(s.acceptPublish(1), [{ type: 'unpublish', streamId: 1, reason: 'deleteStream' }]);
    assert.deepEqual(new Peer().read(s).slice(-1), ['onStatus(0)@1 NetStream.Publish.Start']);
    assert.equal(s.pendingDecision, undefined);
    assert.deepEqual(s.acceptPublish(1), [], 'a decision for a deleted stream is a no-op');
    assert.throws(() => s.acceptConnect(), { code: 'RTMP_STATE' });
  });

  // The name limits (rtmp.maxNameLength, bounded-query.ts) live in the chunk-layer work; skipped without them.
  const nameLimited = (() => {
    try {
      splitStreamName('n'.repeat(60 * 1024));
      return false;
    } catch {
      return true;
    }
  })();
  it(
    'refuses a publish or play whose name is over its limit with a refused event; rejecting it releases what is held',
    { skip: nameLimited ? false : 'needs the stream-name limits' },
    () => {
      for (const action of ['publish', 'play'] as const) {
        const s = connected();
        s.receive(command('createStream', 2, null)());
        const events = s.receive(
          Buffer.concat([command(action, 3, null, 'n'.repeat(4096))(1), command('getStreamLength', 4, null, 'x')()]),
        );
        assert.equal(events.length, 1);
        const [e] = events;
        assert.ok(e?.type === 'refused' && e.action === action && e.streamId === 1);
        assert.equal(e.error.code, 'RTMP_NAME_TOO_LONG');
        assert.deepEqual(s.pendingDecision, { kind: action, streamId: 1 });
        s.drain();
        const code = action === 'publish' ? 'NetStream.Publish.BadName' : 'NetStream.Play.Failed';
        // A short description: this Peer reads at 128-byte chunks, the server writes at 4096.
        if (action === 'publish') s.rejectPublish(1, code, e.error.code);
        else s.rejectPlay(1, code, e.error.code);
        assert.deepEqual(new Peer().read(s), [`onStatus(0)@1 ${code}`, '_result(4)@0 [0]']);
      }
    },
  );

  it('makes decisions for a stream closed or deleted during the play wait no-ops (the issue 9 crash)', () => {
    for (const [stop, reason] of [
      [command('closeStream', 0, null), 'closeStream'],
      [command('deleteStream', 5, null, 1), 'deleteStream'],
    ] as const) {
      const s = connected();
      s.receive(command('createStream', 2, null)());
      s.receive(command('play', 3, null, 'cam')(1));
      assert.deepEqual(s.holdPlay(1), []);
      assert.equal(s.pendingDecision, undefined, 'the session reads on while the player waits');
      assert.deepEqual(s.receive(stop(1)), [{ type: 'stop-play', streamId: 1, reason }]);
      s.drain();
      assert.deepEqual(s.rejectPlay(1, 'NetStream.Play.StreamNotFound', 'not live'), []);
      assert.deepEqual(s.acceptPlay(1), []);
      s.unpublishNotify(1);
      s.publishNotify(1);
      assert.deepEqual(s.drain(), [], 'nothing is said about a stream the client stopped');
    }
  });
});

describe('ServerSession chores', () => {
  it('acknowledges each window of received bytes, using the peer’s Window Ack Size once it sends one', () => {
    const s = connected({ windowAckSize: 100_000 });
    const peer = new Peer();
    peer.read(s);
    s.receive(command('createStream', 2, null)());
    assert.deepEqual(peer.read(s), ['_result(2)@0 [1]'], 'no ack before 100000 bytes');
    const windowAck = encodeChunks(
      { csid: 2, typeId: 5, streamId: 0, timestamp: 0, payload: Buffer.from('000003e8', 'hex') },
      128,
    );
    s.receive(windowAck);
    const first = s.bytesReceived;
    assert.deepEqual(peer.read(s), [`acknowledgement [${first}]`], 'the peer asked for a 1000-byte window');
    s.receive(command('releaseStream', 0, null, 'x'.repeat(500))());
    assert.deepEqual(peer.read(s), [], 'less than a window since the last ack');
    s.receive(command('releaseStream', 0, null, 'x'.repeat(500))());
    assert.deepEqual(peer.read(s), [`acknowledgement [${s.bytesReceived}]`]);
    assert.ok(s.bytesReceived - first >= 1000);
  });

  it('answers a PingRequest and reports a PingResponse as pong', () => {
    const s = connected();
    const peer = new Peer();
    peer.read(s);
    const ping = (event: string) =>
      encodeChunks(
        { csid: 2, typeId: 4, streamId: 0, timestamp: 0, payload: Buffer.from(`${event}00000d0f`, 'hex') },
        128,
      );
    assert.deepEqual(s.receive(ping('0006')), []);
    assert.deepEqual(peer.read(s), ['ping-response [3343]']);
    assert.deepEqual(s.receive(ping('0007')), [{ type: 'pong', timestamp: 3343 }]);
    s.ping(77);
    assert.deepEqual(peer.read(s), ['ping-request [77]']);
  });

  it("reports the encoder's Set Chunk Size as a chunk-size event and reads the next message with it", () => {
    const s = connected();
    const setChunkSize = encodeChunks(
      { csid: 2, typeId: 1, streamId: 0, timestamp: 0, payload: Buffer.from('00004000', 'hex') },
      128,
    );
    assert.deepEqual(s.receive(setChunkSize), [{ type: 'chunk-size', size: 16384 }]);
    // One 300-byte command in a single chunk: only a decoder at 16384 reads it whole.
    const big = encodeChunks(
      { csid: 3, typeId: 20, streamId: 0, timestamp: 0, payload: encodeCommand('hello', 9, null, 'x'.repeat(280)) },
      16384,
    );
    assert.deepEqual(s.receive(big), [{ type: 'ignored', what: 'unknown command hello' }]);
  });
});

describe('ServerSession hostile input', () => {
  const control = (type: number, payload: string) =>
    encodeChunks({ csid: 2, typeId: type, streamId: 0, timestamp: 0, payload: Buffer.from(payload, 'hex') }, 128);

  it('refuses garbage instead of a handshake', () => {
    assert.throws(
      () => new ServerSession().receive(Buffer.from('\x16\x03\x01TLS hello')),
      isCode('RTMP_HANDSHAKE_VERSION'),
    );
  });

  it('refuses chunk size 0 and one with the MSB set', () => {
    assert.throws(() => connected().receive(control(1, '00000000')), isCode('RTMP_CHUNK_SIZE'));
    assert.throws(() => connected().receive(control(1, '80000100')), isCode('RTMP_CHUNK_SIZE'));
  });

  it('refuses oversized messages and too many chunk streams', () => {
    const big = encodeChunks({ csid: 7, typeId: 9, streamId: 1, timestamp: 0, payload: Buffer.alloc(10) }, 128);
    assert.throws(() => handshaken({ maxMessageSize: 9 }).receive(big), isCode('RTMP_MESSAGE_TOO_LARGE'));
    const spread = Buffer.concat(
      Array.from({ length: 100 }, (_, i) =>
        encodeChunks(
          { csid: 100 + i, typeId: 5, streamId: 0, timestamp: 0, payload: Buffer.from('00001000', 'hex') },
          128,
        ),
      ),
    );
    assert.throws(() => handshaken().receive(spread), isCode('RTMP_CHUNK_STREAM_LIMIT'));
  });

  it('reports AMF0 that lies about a length inside a command with the AMF0 code', () => {
    const lie = Buffer.from('020007636f6e6e656374003ff00000000000000300036170700200ff6c697665', 'hex');
    const bytes = encodeChunks({ csid: 3, typeId: 20, streamId: 0, timestamp: 0, payload: lie }, 128);
    assert.throws(() => handshaken().receive(bytes), isCode('AMF0_TRUNCATED'));
  });

  it('turns random bytes after the handshake into events or a ProtocolError, never anything else', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 5 }), (reads) => {
        const s = connected({ maxMessageSize: 100_000 });
        try {
          for (const r of reads) s.receive(Buffer.from(r));
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
        }
      }),
      { numRuns: 1000 },
    );
  });
});
