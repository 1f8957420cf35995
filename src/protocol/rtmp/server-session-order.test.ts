/**
 * Command order, whatever the timing (issue 9): a model-based run of random command sequences, split
 * at random points and decided at random times, against a ServerSession driven as RtmpConnection
 * drives it (test/support/rtmp-command-model.ts). This is the property that finds the
 * closeStream-during-play-wait crash.
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Driver, rtmpCommands, rtmpSetup } from '../../../test/support/rtmp-command-model.ts';
import { amf0Object } from '../amf0/amf0-value.ts';
import type { ServerSessionEvent } from './server-session.ts';

describe('ServerSession command order (model-based)', () => {
  it('never throws anything but a coded ProtocolError and never loses a pending decision', () => {
    fc.assert(
      fc.property(fc.commands(rtmpCommands, { maxCommands: 80, size: 'max' }), (cmds) => {
        const setup = rtmpSetup();
        fc.modelRun(() => setup, cmds);
        setup.real.finish();
      }),
      { numRuns: 2000 },
    );
  });

  it('finds the issue 9 crash: play, closeStream during the wait, then the wait ends', () => {
    const d = new Driver();
    d.wire.command('connect', 0, amf0Object({ app: 'live' }));
    d.wire.command('createStream', 0, null);
    d.wire.command('play', 1, null, 'cam');
    d.deliver(1 << 20);
    d.decide(true);
    d.decide(true);
    d.wire.command('closeStream', 1, null);
    d.deliver(1 << 20);
    d.endWaits(false);
    assert.equal(d.failed, undefined);
    assert.ok(!d.peer.seen.some((s) => s.includes('StreamNotFound')), 'nothing is said about the closed stream');
  });

  it('always ends publishing or playing for a well-formed pipelined sequence, whatever the reads and the decision times', () => {
    const arb = fc.record({
      role: fc.constantFrom('publish', 'play'),
      preamble: fc.boolean(),
      media: fc.integer({ min: 0, max: 5 }),
      reads: fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 20 }),
      late: fc.array(fc.boolean(), { maxLength: 20 }),
    });
    fc.assert(
      fc.property(arb, ({ role, preamble, media, reads, late }) => {
        const d = new Driver();
        d.wire.command('connect', 0, amf0Object({ app: 'live', tcUrl: 'rtmp://h/live' }));
        if (preamble) {
          d.wire.command('releaseStream', 0, null, 'cam');
          d.wire.command('FCPublish', 0, null, 'cam');
        }
        d.wire.command('createStream', 0, null);
        d.wire.command(role, 1, null, 'cam');
        for (let i = 0; i < media && role === 'publish'; i++) d.wire.raw(6, 9, 1, Buffer.of(0x17, 1, 0, 0, 0));
        let mediaSeen = 0;
        const count = (events: ServerSessionEvent[]) => (mediaSeen += events.filter((e) => e.type === 'media').length);
        const handle = d.handle.bind(d);
        d.handle = (events) => (count(events), handle(events));
        for (let i = 0; i < reads.length; i++) {
          d.deliver(reads[i]!);
          if (!late[i]) while (d.decisions.length > 0) d.decide(true);
        }
        d.finish();
        assert.equal(d.failed, undefined);
        const start = role === 'publish' ? 'onStatus@1 NetStream.Publish.Start' : 'onStatus@1 NetStream.Play.Start';
        assert.ok(d.peer.seen.includes(start), `${start} in ${d.peer.seen.join(', ')}`);
        assert.equal(d.peer.seen[0], '_result@0 NetConnection.Connect.Success');
        assert.equal(mediaSeen, role === 'publish' ? media : 0, 'early media is held, not dropped');
      }),
      { numRuns: 1000 },
    );
  });
});
