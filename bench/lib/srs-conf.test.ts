import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ensureSrs, srsBinary, srsConf, srsWorkDir } from './srs-conf.ts';

const conf = (mwLatencyMs: number): string =>
  srsConf({ rtmpPort: 41935, httpPort: 48080, mwLatencyMs, dir: '/tmp/row' });

test('the SRS config listens on the row ports, serves HTTP-FLV and carries the window as mw_latency', () => {
  const c = conf(50);
  assert.match(c, /^listen\s+127\.0\.0\.1:41935;$/m);
  assert.match(c, /http_server \{ enabled on; listen 127\.0\.0\.1:48080; dir \/tmp\/row; \}/);
  assert.match(c, /http_remux \{ enabled on; mount \[vhost\]\/\[app\]\/\[stream\]\.flv; \}/);
  assert.match(c, /play \{ gop_cache on; mw_latency 50; \}/);
  assert.match(c, /^daemon\s+off;$/m);
  assert.match(c, /^pid\s+\/tmp\/row\/srs\.pid;$/m);
  assert.match(c, /hls \{ enabled off; \}/);
});

test('window 0 is SRS no-merge mode (mw_latency 0) and every window gives its own config', () => {
  assert.match(conf(0), /mw_latency 0;/);
  const all = [0, 20, 50, 100].map(conf);
  assert.equal(new Set(all).size, 4);
  // The same keys as build-srs.sh's conf/bench-mwN.conf: only ports, pid/dir and the window differ.
  for (const c of all) assert.equal(c.split('\n').length, conf(350).split('\n').length);
});

test('a bad window is refused instead of writing a config SRS would reject or misread', () => {
  assert.throws(() => conf(-1), /mw_latency/);
  assert.throws(() => conf(2.5), /mw_latency/);
});

test('the binary comes from OPENLIVE_SRS or build-srs.sh output, and SRS runs from its trunk folder', () => {
  assert.equal(srsBinary({ OPENLIVE_SRS: '/opt/srs/trunk/objs/srs' }), '/opt/srs/trunk/objs/srs');
  assert.match(srsBinary({}), /\.cache\/openlive-srs\/trunk\/objs\/srs$/);
  assert.equal(srsWorkDir('/opt/srs/trunk/objs/srs'), '/opt/srs/trunk');
  assert.throws(() => ensureSrs('/nonexistent/objs/srs'), /build-srs\.sh/);
});

test('mw_msgs is written only when asked for: SRS otherwise waits for more than 8 messages per write', () => {
  const base = { rtmpPort: 1935, httpPort: 8080, mwLatencyMs: 20, dir: '/tmp/x' };
  assert.doesNotMatch(srsConf(base), /mw_msgs/);
  assert.match(srsConf({ ...base, mwMsgs: 0 }), /mw_latency 20; mw_msgs 0;/);
});
