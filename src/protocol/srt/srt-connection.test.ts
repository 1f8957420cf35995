import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedLink } from './srt-test-kit.ts';
import { seqMax } from './srt-seq.ts';
import { TimeBase } from './srt-time-base.ts';
import { RttEstimator } from './srt-rtt.ts';

/** A payload that says which packet it is and when it was sent. */
function payload(i: number, nowUs: number): Buffer {
  const b = Buffer.alloc(1316);
  b.writeUInt32BE(i, 0);
  b.writeDoubleBE(nowUs, 4);
  return b;
}

/** Publishes `count` packets, one per ms, through `link`, then lets it drain. */
function publish(link: SimulatedLink, count: number): void {
  link.run(1_000_000);
  assert.deepEqual(link.events, ['connected']);
  let i = 0;
  link.run(count * 1000, (now) => {
    if (i < count) link.caller.connection!.send(payload(i++, now), now);
  });
  link.run(2_000_000);
}

function indices(link: SimulatedLink): number[] {
  return link.delivered.map((d) => d.payload.readUInt32BE(0));
}

test('a clean link delivers everything, in order, each packet at its send time + the latency (TSBPD)', () => {
  const link = new SimulatedLink(
    { seed: 1, delayUs: 10_000, jitterUs: 2000 },
    { initialSeq: seqMax - 100, latencyMs: 120 },
  );
  publish(link, 1000);
  assert.deepEqual(
    indices(link),
    Array.from({ length: 1000 }, (_, i) => i),
    'sequence numbers wrapped at 2^31 on the way',
  );
  for (const d of link.delivered) {
    const late = d.atUs - d.payload.readDoubleBE(4);
    assert.ok(late >= 120_000 && late <= 120_000 + 14_000, `released ${late} µs after sending`);
  }
  const rx = link.listener!.receiver;
  assert.equal(rx.stats.dropped, 0);
  assert.ok(
    rx.rtt.sampled && rx.rtt.rttUs > 15_000 && rx.rtt.rttUs < 30_000,
    `RTT ${rx.rtt.rttUs} from ACK/ACKACK over a 2×10 ms link`,
  );
  assert.equal(link.caller.connection!.sender.unacknowledged < 30, true, 'ACKs free the send buffer');
});

for (const seed of [7, 8, 9]) {
  test(`7 % loss, 2 % duplicates and reordering (seed ${seed}): NAK and retransmission recover every packet`, () => {
    const link = new SimulatedLink(
      { seed, loss: 0.07, duplicate: 0.02, delayUs: 10_000, jitterUs: 8000 },
      { initialSeq: 1000, latencyMs: 200 },
    );
    publish(link, 3000);
    const got = indices(link);
    assert.deepEqual(
      got,
      Array.from({ length: 3000 }, (_, i) => i),
    );
    const rx = link.listener!.receiver;
    const tx = link.caller.connection!.sender;
    assert.ok(rx.stats.lost > 100, `losses seen: ${rx.stats.lost}`);
    assert.ok(
      tx.stats.retransmitted >= rx.stats.lost * 0.9,
      `retransmitted ${tx.stats.retransmitted} for ${rx.stats.lost} lost`,
    );
    assert.ok(rx.stats.duplicates > 0, 'duplicates were counted and ignored');
    assert.ok(link.listener!.control.naksSent > 0);
    assert.equal(rx.stats.dropped, 0);
    assert.equal(rx.loss.length, 0);
  });
}

test('a blackout longer than the latency: the missing packets are dropped too late and counted, delivery resumes', () => {
  // Longer than the sender keeps packets (1 s): they cannot be retransmitted, the receiver gives them up.
  const start = 1_000_000 + 1_000_000 + 500_000;
  const link = new SimulatedLink(
    { seed: 3, delayUs: 10_000, blackout: (t) => t >= start && t < start + 1_500_000 },
    { initialSeq: 5, latencyMs: 120 },
  );
  publish(link, 3000);
  const got = indices(link);
  const rx = link.listener!.receiver;
  assert.ok(rx.stats.dropped > 300 && rx.stats.dropped <= 1500, `dropped ${rx.stats.dropped}`);
  assert.equal(got.length + rx.stats.dropped, 3000, 'every packet was delivered or counted as dropped');
  assert.ok(
    got.every((v, i) => i === 0 || v > got[i - 1]!),
    'still in order',
  );
  assert.equal(got.at(-1), 2999, 'delivery resumed after the blackout');
  assert.deepEqual(link.events, ['connected'], 'the blackout was shorter than the peer idle timeout');
});

test('peer idle timeout: a caller that goes silent is closed with SRT_PEER_IDLE_TIMEOUT', () => {
  let silent = false;
  const link = new SimulatedLink({ seed: 4, blackout: () => silent }, { initialSeq: 5, latencyMs: 120 });
  link.run(200_000);
  link.run(2_000_000);
  assert.deepEqual(link.events, ['connected'], 'keepalives hold an idle connection open');
  silent = true;
  link.run(6_000_000);
  assert.ok(
    link.events.some((e) => e.startsWith('listener closed SRT_PEER_IDLE_TIMEOUT')),
    link.events.join('; '),
  );
});

test('shutdown from the caller ends the listener side cleanly', () => {
  const link = new SimulatedLink({ seed: 5 }, { initialSeq: 5, latencyMs: 120 });
  link.run(200_000);
  link.caller.connection!.close(link.nowUs);
  link.run(100_000);
  assert.ok(link.events.includes('listener closed  peer shut down'), link.events.join('; '));
});

test('the TSBPD time base unfolds 32-bit timestamp wrap, also for packets reordered across it', () => {
  const tb = new TimeBase(0);
  assert.equal(tb.unwrap(0xffff_fff0), 0xffff_fff0);
  assert.equal(tb.unwrap(0x10), 0x1_0000_0010);
  assert.equal(tb.unwrap(0xffff_fff8), 0xffff_fff8, 'a late packet from before the wrap');
  assert.equal(tb.localTime(0x20), 0x1_0000_0020);
});

test('drift: a steady clock difference above 5 ms moves the base after 1000 samples; jitter below does not', () => {
  const tb = new TimeBase(0);
  for (let i = 0; i < 1000; i++) tb.sample(i * 10_000, i * 10_000 + 2000);
  assert.equal(tb.driftUs, 0);
  for (let i = 0; i < 1000; i++) tb.sample(i * 10_000, i * 10_000 + 8000);
  assert.equal(Math.round(tb.driftUs), 8000);
});

test('RTT smoothing as libsrt: first sample sets RTT and RTT/2, then 7/8 and 3/4', () => {
  const r = new RttEstimator();
  assert.deepEqual([r.rttUs, r.rttVarUs], [100_000, 50_000]);
  r.update(40_000);
  assert.deepEqual([r.rttUs, r.rttVarUs], [40_000, 20_000]);
  r.update(48_000);
  assert.deepEqual([r.rttUs, r.rttVarUs], [41_000, 17_000]);
});

test('a full ACK the sender did not answer is sent again after 2 RTT; an answered one is not', async () => {
  const { Receiver } = await import('./srt-receiver.ts');
  const rx = new Receiver({ initialSeq: 10, latencyUs: 100_000, baseUs: 0, windowPackets: 64, maxBytes: 1 << 20 });
  rx.onData({
    kind: 'data',
    seq: 10,
    position: 3,
    inOrder: false,
    key: 0,
    retransmitted: false,
    msgNo: 1,
    timestamp: 0,
    destId: 1,
    payload: Buffer.alloc(10),
  });
  const first = rx.nextAck(1000)!;
  assert.equal(first.ackSeq, 11);
  assert.equal(rx.nextAck(11_000), undefined, 'nothing new, and not yet 2 RTT (RTT is 100 ms before a sample)');
  const again = rx.nextAck(202_000)!;
  assert.deepEqual([again.ackSeq, again.ackNo > first.ackNo], [11, true], 'the lost ACK goes again');
  rx.onAckAck(again.ackNo, 0, 222_000);
  assert.equal(rx.nextAck(2_000_000), undefined, 'answered: no more ACKs until something new arrives');
});
