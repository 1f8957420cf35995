import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowAll, type Access, type PlayRequest } from '../../control/access.ts';
import { PlayAdmission } from '../../control/admission-play.ts';
import { PlayDecisionCache } from './play-decision-cache.ts';

function request(query: string, stream = 'cam'): PlayRequest {
  return {
    protocol: 'hls',
    app: 'live',
    stream,
    query: new URLSearchParams(query),
    host: 'play.example.com',
    clientIp: '10.0.0.1',
  };
}

test('an admission is reused for a second, per URL signature and stream; refusals are asked every time', async () => {
  let time = 0;
  let calls = 0;
  const access: Access = {
    ...allowAll,
    checkPlay: (req) => {
      calls++;
      return Promise.resolve(
        req.query.get('txSecret') === 'ok'
          ? { allowed: true }
          : { allowed: false, code: 'SIGNATURE_INVALID', breakCode: '18/503', reason: '18/503 wrong' },
      );
    },
  };
  const cache = new PlayDecisionCache(new PlayAdmission({ access }), () => time, 1000);
  assert.equal((await cache.play(request('txSecret=ok&txTime=1'))).kind, 'admitted');
  assert.equal((await cache.play(request('txSecret=ok&txTime=1&_HLS_msn=4'))).kind, 'admitted');
  assert.equal(calls, 1, 'the second request used the cached admission');
  await cache.play(request('txSecret=ok&txTime=1', 'other'));
  assert.equal(calls, 2, 'another stream is another decision');
  assert.equal((await cache.play(request('txSecret=bad&txTime=1'))).kind, 'refused');
  assert.equal((await cache.play(request('txSecret=bad&txTime=1'))).kind, 'refused');
  assert.equal(calls, 4, 'refusals are not cached');
  time = 1000;
  await cache.play(request('txSecret=ok&txTime=1'));
  assert.equal(calls, 5, 'after a second the policy is asked again');
});
