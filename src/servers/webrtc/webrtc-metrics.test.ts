import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { once } from 'node:events';
import { Registry } from 'prom-client';
import { metricIn, metricValue } from '../../../test/support/metrics.ts';
import { startService, type TestService } from '../../../test/support/service.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { registerWebrtcMetrics } from './webrtc-metrics.ts';

let svc: TestService | undefined;
after(async () => svc?.close());

test('the WHEP send figures and the ICE-TCP connections are read at each scrape', async () => {
  const registry = new Registry();
  const source = { stats: { skips: 2, skippedFrames: 40, queuedViewers: 3 }, tcpConnections: 5 };
  registerWebrtcMetrics(registry, {
    whepSendStats: () => source.stats,
    get tcpConnections() {
      return source.tcpConnections;
    },
  });
  let text = await registry.metrics();
  assert.equal(metricIn(text, 'openlive_whep_lag_skips_total'), 2);
  assert.equal(metricIn(text, 'openlive_whep_skipped_frames_total'), 40);
  assert.equal(metricIn(text, 'openlive_whep_queued_viewers'), 3);
  assert.equal(metricIn(text, 'openlive_webrtc_tcp_connections'), 5);
  source.tcpConnections = 0;
  text = await registry.metrics();
  assert.equal(metricIn(text, 'openlive_webrtc_tcp_connections'), 0);
});

test('/metrics counts an ICE-TCP connection while it is open, bound or not', async () => {
  svc = await startService({ webrtc: { enabled: true, tcp: true, tcpPort: 0 } });
  const tcpPort = svc.service.webrtc!.tcpPort;
  assert.ok(tcpPort > 0);
  const gauge = () => metricValue(svc!.httpUrl, 'openlive_webrtc_tcp_connections');
  assert.equal(await gauge(), 0);
  const a = connect(tcpPort, '127.0.0.1');
  const b = connect(tcpPort, '127.0.0.1');
  await Promise.all([once(a, 'connect'), once(b, 'connect')]);
  await waitFor('two connections', async () => (await gauge()) === 2, 5_000);
  a.destroy();
  await waitFor('one left', async () => (await gauge()) === 1, 5_000);
  // A first frame that is no STUN Binding request: the server closes the connection, and it is not counted.
  b.write(Buffer.from([0, 4, 1, 2, 3, 4]));
  await once(b, 'close');
  await waitFor('none left', async () => (await gauge()) === 0, 5_000);
});
