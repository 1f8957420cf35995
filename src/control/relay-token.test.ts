import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Access, AccessDecision, Refusal } from './access.ts';
import { PlayAdmission } from './admission-play.ts';
import type { AdmissionRequest } from './admission-request.ts';
import { isRelayPlay, relayParams, RelayTokens } from './relay-token.ts';

const now = 1_700_000_000_000;
const tokens = new RelayTokens('cluster-secret');
const query = (params: Record<string, string>): URLSearchParams => new URLSearchParams(params);

describe('RelayTokens', () => {
  it('accepts its own token for the stream it names, with its hop count', () => {
    const q = query(tokens.mint('live/cam', 2, now));
    assert.equal(isRelayPlay(q), true);
    assert.deepEqual(tokens.verify('live/cam', q, now), { ok: true, hops: 2 });
    assert.deepEqual(tokens.verify('live/cam', q, now + 59_000), { ok: true, hops: 2 });
  });

  it('refuses another secret, another stream, a changed hop count or expiry', () => {
    const q = tokens.mint('live/cam', 1, now);
    assert.deepEqual(new RelayTokens('other').verify('live/cam', query(q), now), { ok: false, problem: 'wrong' });
    assert.deepEqual(tokens.verify('live/other', query(q), now), { ok: false, problem: 'wrong' });
    assert.deepEqual(tokens.verify('live/cam', query({ ...q, [relayParams.hops]: '0' }), now), {
      ok: false,
      problem: 'wrong',
    });
    const later = String(Number(q[relayParams.expiry]) + 1000);
    assert.deepEqual(tokens.verify('live/cam', query({ ...q, [relayParams.expiry]: later }), now), {
      ok: false,
      problem: 'wrong',
    });
  });

  it('refuses an expired token and one valid for too long', () => {
    assert.deepEqual(tokens.verify('live/cam', query(tokens.mint('live/cam', 1, now)), now + 61_000), {
      ok: false,
      problem: 'expired',
    });
    const far = query(tokens.mint('live/cam', 1, now + 3_600_000));
    assert.deepEqual(tokens.verify('live/cam', far, now), { ok: false, problem: 'too-long' });
  });

  it('refuses malformed and missing tokens, and never throws on any query', () => {
    assert.deepEqual(tokens.verify('live/cam', query({}), now), { ok: false, problem: 'missing' });
    const q = tokens.mint('live/cam', 1, now);
    assert.deepEqual(tokens.verify('live/cam', query({ ...q, [relayParams.token]: 'abc' }), now), {
      ok: false,
      problem: 'malformed',
    });
    assert.deepEqual(tokens.verify('live/cam', query({ ...q, [relayParams.expiry]: '-1' }), now), {
      ok: false,
      problem: 'malformed',
    });
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (t, e, h) => {
        const r = tokens.verify(
          'live/cam',
          query({ [relayParams.token]: t, [relayParams.expiry]: e, [relayParams.hops]: h }),
          now,
        );
        assert.equal(r.ok, false);
      }),
    );
  });
});

function admission(withTokens: boolean) {
  const recorded: Refusal[] = [];
  const counted: string[] = [];
  let asked = 0;
  const access: Access = {
    checkPublish: async () => ({ allowed: true }),
    checkPlay: async (): Promise<AccessDecision> => {
      asked++;
      return { allowed: false, code: 'TXSECRET_MISSING', breakCode: '18/502', reason: '18/502: no signature' };
    },
    recordRejection: async (_a, _r, refusal) => void recorded.push(refusal),
  };
  const plays = new PlayAdmission({
    access,
    countError: (code) => counted.push(code),
    relay: { tokens: withTokens ? tokens : undefined, maxHops: 2, now: () => now },
  });
  return { plays, recorded, counted, asked: () => asked };
}

const req = (params: Record<string, string>): AdmissionRequest => ({
  protocol: 'rtmp',
  host: '10.0.0.1',
  app: 'live',
  stream: 'cam',
  query: query(params),
  clientIp: '10.0.0.2',
});

describe('PlayAdmission relay plays', () => {
  it('grants a valid relay token instead of a play signature', async () => {
    const { plays, asked } = admission(true);
    const outcome = await plays.play(req(tokens.mint('live/cam', 1, now)));
    assert.deepEqual(outcome, { kind: 'admitted', domain: '', relay: { hops: 1 } });
    assert.equal(asked(), 0);
  });

  it('refuses a forged token with RELAY_TOKEN_INVALID, counted and recorded', async () => {
    const { plays, recorded, counted } = admission(true);
    const forged = { ...tokens.mint('live/cam', 1, now), [relayParams.token]: 'ab'.repeat(32) };
    const outcome = await plays.play(req(forged));
    assert.equal(outcome.kind, 'refused');
    assert.equal(outcome.kind === 'refused' && outcome.refusal.code, 'RELAY_TOKEN_INVALID');
    assert.deepEqual(counted, ['RELAY_TOKEN_INVALID']);
    assert.equal(recorded.length, 1);
    assert.match(recorded[0]!.reason, /^18\/503: the relay token is wrong/);
  });

  it('refuses relay plays on a node without relay.secret, and chains past maxHops', async () => {
    const none = admission(false);
    const a = await none.plays.play(req(tokens.mint('live/cam', 1, now)));
    assert.equal(a.kind === 'refused' && a.refusal.code, 'RELAY_TOKEN_INVALID');
    const deep = admission(true);
    const b = await deep.plays.play(req(tokens.mint('live/cam', 3, now)));
    assert.equal(b.kind === 'refused' && b.refusal.code, 'RELAY_TOO_DEEP');
    assert.deepEqual(deep.counted, ['RELAY_TOO_DEEP']);
  });

  it('leaves plays without a relay token to the access decision', async () => {
    const { plays, asked } = admission(true);
    const outcome = await plays.play(req({ txSecret: 'x' }));
    assert.equal(outcome.kind === 'refused' && outcome.refusal.code, 'TXSECRET_MISSING');
    assert.equal(asked(), 1);
  });
});
