import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import {
  forwardedHeader,
  forwardToOwner,
  ownerOf,
  serveForwarded,
  sessionIdPrefix,
  type ForwardedRequest,
  type SessionForwarder,
} from './session-owner.ts';

test('a session id names its worker; ids of a single process name none', () => {
  assert.equal(sessionIdPrefix(2), 'w2.');
  assert.equal(ownerOf(`${sessionIdPrefix(2)}AbC-_x`), 2);
  assert.equal(ownerOf('w12.x'), 12);
  assert.equal(ownerOf('AbCdEfGhIjKl'), undefined, 'base64url has no dot');
  assert.equal(ownerOf('w0.x'), undefined);
  assert.equal(ownerOf('w2x'), undefined);
  assert.equal(ownerOf('w12345.x'), undefined);
});

/** A worker's app with one session route that says who answered. */
function app(self: number, forwarder: SessionForwarder | undefined) {
  const a = Fastify();
  void a.register(async (scope) => {
    if (forwarder) scope.addHook('preHandler', forwardToOwner(forwarder));
    scope.addContentTypeParser('application/trickle-ice-sdpfrag', { parseAs: 'string' }, (_r, body, done) =>
      done(null, body),
    );
    const handler = async (req: { params: { id: string }; body?: unknown; headers: Record<string, unknown> }) => ({
      answeredBy: self,
      id: req.params.id,
      body: req.body ?? null,
      forwarded: req.headers[forwardedHeader] ?? null,
    });
    scope.delete<{ Params: { id: string } }>('/webrtc/session/:id', async (req, reply) =>
      reply
        .code(200)
        .header('access-control-allow-origin', '*')
        .send(await handler(req)),
    );
    scope.patch<{ Params: { id: string } }>('/webrtc/session/:id', async (req, reply) =>
      reply
        .code(405)
        .header('allow', 'DELETE')
        .send(await handler(req)),
    );
  });
  return a;
}

test("a request for a sibling's session is answered by the sibling, its status and headers unchanged", async () => {
  const owner = app(2, undefined);
  const sent: { to: number; request: ForwardedRequest }[] = [];
  const forwarder: SessionForwarder = {
    self: 1,
    forward: async (to, request) => (sent.push({ to, request }), to === 2 ? serveForwarded(owner, request) : undefined),
  };
  const here = app(1, forwarder);
  const del = await here.inject({ method: 'DELETE', url: '/webrtc/session/w2.abc?x=1' });
  assert.equal(del.statusCode, 200);
  assert.equal(del.headers['access-control-allow-origin'], '*');
  assert.deepEqual(del.json(), { answeredBy: 2, id: 'w2.abc', body: null, forwarded: '1' });
  assert.equal(sent[0]!.to, 2);
  assert.equal(sent[0]!.request.url, '/webrtc/session/w2.abc?x=1');
  assert.equal(sent[0]!.request.headers.host, undefined, 'hop-by-hop headers stay behind');

  const patch = await here.inject({
    method: 'PATCH',
    url: '/webrtc/session/w2.abc',
    headers: { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': '"1"' },
    payload: 'a=ice-ufrag:x',
  });
  assert.equal(patch.statusCode, 405);
  assert.equal(patch.headers.allow, 'DELETE');
  assert.deepEqual(patch.json(), { answeredBy: 2, id: 'w2.abc', body: 'a=ice-ufrag:x', forwarded: '1' });
  assert.equal(sent[1]!.request.headers['if-match'], '"1"');

  // Its own, a single process's, an already forwarded one, and an owner that is gone: answered here.
  for (const [url, headers] of [
    ['/webrtc/session/w1.abc', {}],
    ['/webrtc/session/plainid', {}],
    ['/webrtc/session/w2.abc', { [forwardedHeader]: '2' }],
    ['/webrtc/session/w3.abc', {}],
  ] as const) {
    const r = await here.inject({ method: 'DELETE', url, headers });
    assert.equal(r.json().answeredBy, 1, url);
  }
  assert.deepEqual(
    sent.map((s) => s.to),
    [2, 2, 3],
  );
  await Promise.all([here.close(), owner.close()]);
});
