/**
 * A burst of WHEP offers at `node src/main.ts --workers 2`: 80 POSTs at once, each on its own connection (the
 * primary hands each to a worker). Under that load node:cluster retries handing a connection whose handle
 * the worker could not take (NODE_HANDLE_NACK); a retry of a connection the client already closed fails
 * with `write EINVAL`, emitted as the worker's 'error' event, which without a listener was an uncaught
 * exception that took the primary, and so the whole server, down (cli/workers.ts listens now).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { waitFor } from '../support/wait.ts';

let server: ServerProcess | undefined;
let ff: FfmpegProcess | undefined;
after(async () => {
  await ff?.stop();
  await server?.stop(15_000);
});

/** A recvonly H.264 offer werift accepts (its peer never connects: the session waits for ICE). */
const offer =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=recvonly\r\na=rtcp-mux\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00\r\na=setup:actpass\r\na=rtpmap:102 H264/90000\r\na=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n';

/** One POST on a new connection: its status, or the error's message. */
function post(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/sdp' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', (err) => resolve(err.message));
    req.setTimeout(15_000, () => (resolve('no answer in 15 s'), req.destroy()));
    req.end(offer);
  });
}

test(
  '80 WHEP offers at once on two workers: the primary survives a failed hand-over and keeps serving',
  { timeout: 60_000 },
  async () => {
    server = await startServerProcess(
      [
        '--webrtc.enabled',
        'true',
        '--webrtc.maxSessionsPerIp',
        '0',
        '--webrtc.maxSessions',
        '200',
        '--log.level',
        'warn',
      ],
      { workers: 2 },
    );
    ff = publish(server.pushUrl);
    const http = `http://127.0.0.1:${server.httpPort}`;
    await waitFor(
      'the stream',
      async () =>
        (await fetch(`${http}/live/demo.flv`, { method: 'HEAD' }).catch(() => undefined))?.status === 200 ||
        (await post(`${http}/live/demo/whep`)) === 201,
      20_000,
    );
    const results = await Promise.all(Array.from({ length: 80 }, () => post(`${http}/live/demo/whep`)));
    const answered = results.filter((r) => r === 201).length;
    const primaryFault = /"source":"uncaughtException"/.test(server.output());
    assert.equal(
      primaryFault,
      false,
      `no uncaught exception: ${server
        .output()
        .split('\n')
        .find((l) => l.includes('uncaughtException'))
        ?.slice(0, 400)}`,
    );
    assert.equal(server.child.exitCode, null, 'the primary is still running');
    assert.equal((await fetch(`${http}/healthz`)).status, 200);
    // Known, not fixed: the connections whose hand-over failed get no answer (the client times out).
    const lost = results.filter((r) => r !== 201);
    assert.ok(answered >= 40, `${answered} of 80 answered; the others: ${JSON.stringify(lost.slice(0, 3))}`);
    assert.ok(
      lost.every((r) => typeof r === 'string'),
      'no refusal: every answer was 201',
    );
    const failed = (server.output().match(/handing a connection to a worker failed/g) ?? []).length;
    console.log(`# ${answered} of 80 answered, ${failed} hand-overs failed`);
  },
);
