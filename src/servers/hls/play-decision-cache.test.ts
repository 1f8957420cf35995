import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowAll, type Access, type PlayRequest } from '../../control/access.ts';
import { PlayDecisionCache } from './play-decision-cache.ts';

function request(query: string, stream = 'cam'): PlayRequest {
  return { protocol: 'hls', app: 'live', stream, query: new URLSearchParams(query), host: 'play.example.com', clientIp: '10.0.0.1' };
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
  const cache = new PlayDecisionCache(access, () => time, 1000);
  assert.equal((await cache.checkPlay(request('txSecret=ok&txTime=1'))).allowed, true);
  assert.equal((await cache.checkPlay(request('txSecret=ok&txTime=1&_HLS_msn=4'))).allowed, true);
  assert.equal(calls, 1, 'the second request used the cached admission');
  await cache.checkPlay(request('txSecret=ok&txTime=1', 'other'));
  assert.equal(calls, 2, 'another stream is another decision');
  assert.equal((await cache.checkPlay(request('txSecret=bad&txTime=1'))).allowed, false);
  assert.equal((await cache.checkPlay(request('txSecret=bad&txTime=1'))).allowed, false);
  assert.equal(calls, 4, 'refusals are not cached');
  time = 1000;
  await cache.checkPlay(request('txSecret=ok&txTime=1'));
  assert.equal(calls, 5, 'after a second the policy is asked again');
});
