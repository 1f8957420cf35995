import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { AdmissionRequest } from '../../control/admission-request.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import { ServerCounters } from '../counters.ts';
import { nodeRecordFs } from './record-fs.ts';
import { recordFilePath, registerRecordRoutes } from './record-routes.ts';

async function bed(t: { after(fn: () => unknown): void }) {
  const root = mkdtempSync(join(tmpdir(), 'rec-routes-'));
  const store = new MemoryStore();
  const asked: AdmissionRequest[] = [];
  const app = Fastify();
  registerRecordRoutes(app, {
    store: store.recordings,
    root,
    fs: nodeRecordFs,
    counters: new ServerCounters(),
    // Play auth as the play domain has it: a txSecret of "good" is the only right signature.
    admission: {
      play: async (req) => {
        asked.push(req);
        if (req.query.get('txSecret') === 'good') return { kind: 'admitted', domain: 'play.example.com' };
        return {
          kind: 'refused',
          domain: 'play.example.com',
          refusal: { allowed: false, code: 'SIGNATURE_INVALID', breakCode: '18/503', reason: '18/503: bad signature' },
        };
      },
    },
  });
  t.after(async () => {
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });
  const folder = join(root, 'push.example.com', 'live', 'cam');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'cam_1.flv'), Buffer.alloc(1000, 7));
  writeFileSync(join(folder, 'cam_2.m3u8'), '#EXTM3U\n#EXTINF:2.000,\ncam_2_0.ts\n#EXT-X-ENDLIST\n');
  writeFileSync(join(folder, 'cam_2_0.ts'), Buffer.alloc(376, 0x47));
  writeFileSync(join(root, 'secret'), 'secret');
  const base = {
    domain: 'push.example.com',
    app: 'live',
    stream: 'cam',
    templateId: 1,
    taskId: '',
    expiresAt: null,
    startedAt: 0,
  };
  const flv = await store.recordings.addRecordFile({
    ...base,
    format: 'flv',
    path: 'push.example.com/live/cam/cam_1.flv',
  });
  const hls = await store.recordings.addRecordFile({
    ...base,
    format: 'hls',
    path: 'push.example.com/live/cam/cam_2.m3u8',
  });
  for (const id of [flv, hls])
    await store.recordings.endRecordFile(id, {
      endedAt: 1,
      durationMs: 1,
      size: 1,
      status: 'done',
      errorCode: '',
      reason: '',
      expiresAt: null,
    });
  return { app, flv, hls, asked };
}

test('a recorded file is served whole and by byte range with its content type, as a play of its stream', async (t) => {
  const { app, flv, asked } = await bed(t);
  const url = `${recordFilePath({ id: flv, path: 'x/cam_1.flv' })}?txSecret=good`;
  const whole = await app.inject({ url });
  assert.equal(whole.statusCode, 200);
  assert.equal(whole.headers['content-type'], 'video/x-flv');
  assert.equal(whole.headers['accept-ranges'], 'bytes');
  assert.equal(whole.rawPayload.length, 1000);
  const part = await app.inject({ url, headers: { range: 'bytes=990-' } });
  assert.equal(part.statusCode, 206);
  assert.equal(part.headers['content-range'], 'bytes 990-999/1000');
  assert.equal(part.rawPayload.length, 10);
  assert.equal((await app.inject({ url, headers: { range: 'bytes=5000-' } })).statusCode, 416);
  const head = await app.inject({ url, method: 'HEAD' });
  assert.equal(head.headers['content-length'], '1000');
  assert.deepEqual([asked[0]!.app, asked[0]!.stream], ['live', 'cam']);
});

test('with play auth, a missing or wrong signature is refused with its code', async (t) => {
  const { app, flv } = await bed(t);
  const res = await app.inject({ url: `/record/files/${flv}/cam_1.flv?txSecret=bad` });
  assert.equal(res.statusCode, 403);
  assert.equal(res.json().code, 'SIGNATURE_INVALID');
});

test('an HLS playlist passes the signature on to its segments; segments are only the names the format makes', async (t) => {
  const { app, hls } = await bed(t);
  const res = await app.inject({ url: `/record/files/${hls}/cam_2.m3u8?txSecret=good&txTime=ABC` });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/vnd.apple.mpegurl');
  assert.match(res.body, /^cam_2_0\.ts\?txSecret=good&txTime=ABC$/m);
  const seg = await app.inject({ url: `/record/files/${hls}/cam_2_0.ts?txSecret=good` });
  assert.equal(seg.statusCode, 200);
  assert.equal(seg.headers['content-type'], 'video/mp2t');
  for (const name of ['cam_1.flv', '..%2F..%2F..%2F..%2Fsecret', 'cam_2_x.ts', 'other_0.ts', 'cam_2_0.ts%2F..']) {
    const r = await app.inject({ url: `/record/files/${hls}/${name}?txSecret=good` });
    assert.equal(r.statusCode, 404, name);
    assert.equal(r.json().code, 'RECORD_FILE_NOT_FOUND', name);
  }
  assert.equal((await app.inject({ url: '/record/files/999/cam_1.flv' })).statusCode, 404);
  assert.equal((await app.inject({ url: '/record/files/1e3/cam_1.flv' })).statusCode, 404);
});
