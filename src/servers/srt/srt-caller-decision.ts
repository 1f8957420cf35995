/**
 * The decision on one SRT caller's conclusion (docs/srt.md): its stream id, its encryption keys, the doctor's
 * probe, then the one admission path for a play (`m=request`) or a publish, answered through the server.
 */
import { breakCodes } from '../../control/break-codes.ts';
import { nameLimitRefusal } from '../../control/reasons.ts';
import { parseStreamId, srtProbeReason } from '../../control/srt-stream-id.ts';
import type { Handshake } from '../../protocol/srt/srt-handshake.ts';
import type { SrtCrypto } from '../../protocol/srt/srt-crypto.ts';
import type { SrtPeer } from './srt-peer.ts';
import { srtReasonOf } from './srt-reject-reason.ts';
import { agreeKeys, passphraseFor } from './srt-encryption.ts';
import type { TsPayloadSink } from './ts-payload-sink.ts';
import { admitSrtPlay } from './srt-play.ts';
import type { SrtServerOptions } from './srt-server.ts';

/** What deciding needs of the server: its options and clock, and the answers only it can send. */
export interface SrtCallerServer<S> {
  readonly o: SrtServerOptions<S>;
  readonly clock: () => number;
  /** True once the server is closing: a decision still waiting is abandoned. */
  closing(): boolean;
  refuse(peer: SrtPeer, hs: Handshake, reason: number, action?: 'publish' | 'play' | 'probe'): void;
  forget(peer: SrtPeer): void;
  accept(
    peer: SrtPeer,
    hs: Handshake,
    peerStartUs: number,
    keys: { crypto: SrtCrypto; kmrsp: Buffer } | undefined,
    sink: TsPayloadSink,
  ): { recvMs: number; sendMs: number };
}

/** Decides a new caller: refused with its reason, abandoned, or accepted as a player or a publisher. */
export async function decideSrtCaller<S>(
  d: SrtCallerServer<S>,
  peer: SrtPeer,
  hs: Handshake,
  peerStartUs: number,
): Promise<void> {
  const streamId = hs.streamId ?? '';
  const parsed = parseStreamId(streamId, peer.address);
  const publisherId = `srt-${peer.localId}`;
  if (!parsed) {
    const refusal = nameLimitRefusal(
      'SRT_STREAM_ID_INVALID',
      `stream id ${JSON.stringify(streamId.slice(0, 80))} names no AppName/StreamName`,
    );
    d.o.counters.countError('SRT_STREAM_ID_INVALID');
    d.o.admission.refuse(
      'publish',
      { protocol: 'srt', host: '', app: '', stream: '', query: new URLSearchParams(), clientIp: peer.address },
      refusal,
    );
    return d.refuse(peer, hs, srtReasonOf(refusal.code));
  }
  const keys = agreeKeys(hs, passphraseFor(d.o, parsed.request.host));
  if (keys.kind === 'refused' && parsed.mode === 'probe') return d.refuse(peer, hs, keys.reason, 'probe');
  if (keys.kind === 'refused') {
    d.o.counters.countError(keys.refusal.code);
    d.o.admission.refuse(parsed.mode === 'request' ? 'play' : 'publish', parsed.request, keys.refusal);
    d.o.log.info({ ip: peer.address, code: keys.refusal.code, reason: keys.refusal.reason }, 'SRT caller refused');
    return d.refuse(peer, hs, keys.reason, parsed.mode === 'request' ? 'play' : 'publish');
  }
  if (parsed.mode === 'probe') {
    // The doctor's reachability probe (control/srt-stream-id.ts): answered without admission, so it never
    // takes the stream, drops its publisher or leaves a record; the doctor judges the signature itself.
    return d.refuse(peer, hs, srtProbeReason, 'probe');
  }
  if (parsed.mode === 'request') {
    if (!d.o.hub) {
      d.o.counters.countError('SRT_PLAY_UNSUPPORTED');
      return d.refuse(peer, hs, srtReasonOf('SRT_PLAY_UNSUPPORTED'), 'play');
    }
    const grant = await admitSrtPlay(
      d.o.hub,
      d.o.admission,
      parsed.request,
      () => peer.state === 'pending' && !d.closing(),
    );
    if (grant.kind === 'abandoned') return d.forget(peer);
    if (grant.kind === 'refused') {
      d.o.log.info({ ip: peer.address, code: grant.code }, 'SRT play rejected');
      return d.refuse(peer, hs, srtReasonOf(grant.code), 'play');
    }
    const playSink: TsPayloadSink = { write: () => {}, end: () => grant.end() };
    d.accept(peer, hs, peerStartUs, keys.kind === 'keyed' ? keys : undefined, playSink);
    peer.playing = true;
    grant.attach(peer.connection!, d.clock, d.o.counters);
    return;
  }
  const publisher = { id: publisherId, clientIp: peer.address, protocol: 'srt' as const };
  const outcome = await d.o.admission.publish(parsed.request, publisher, {
    stillWanted: () => peer.state === 'pending' && !d.closing(),
  });
  if (outcome.kind === 'abandoned') {
    d.forget(peer);
    return;
  }
  if (outcome.kind === 'refused') {
    d.o.log.info(
      { ip: peer.address, code: outcome.refusal.code, reason: outcome.refusal.reason },
      'SRT publish rejected',
    );
    return d.refuse(peer, hs, srtReasonOf(outcome.refusal.code));
  }
  const sink = (() => {
    try {
      return d.o.openSink({
        claim: outcome.claim,
        domain: outcome.domain,
        request: parsed.request,
        publisherId,
        streamId,
        serverIp: d.o.host,
        disconnect: (reason) => peer.close(d.clock(), undefined, reason, breakCodes.dropped),
      });
    } catch (err) {
      d.o.admission.release(outcome.claim, publisherId);
      throw err;
    }
  })();
  const latency = d.accept(peer, hs, peerStartUs, keys.kind === 'keyed' ? keys : undefined, sink);
  const crypto = keys.kind === 'keyed' ? keys.crypto : undefined;
  d.o.log.info(
    {
      ip: peer.address,
      stream: `${parsed.request.app}/${parsed.request.stream}`,
      domain: outcome.domain,
      latencyMs: latency.recvMs,
      encrypted: crypto !== undefined,
    },
    'SRT publish started',
  );
}
