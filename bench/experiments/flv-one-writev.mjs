// Experiment, not part of the product: what HTTP-FLV fan-out costs when each merged batch goes to the socket
// as ONE chunk in ONE writev, bypassing http.ServerResponse (whose uncork() issues N+3 separate writes for a
// chunked body of N buffers: size line, CRLF, each buffer, CRLF). Delete once src/servers/http writes this way.
//   node bench/fanout.ts --servers openlive,nms --protocols flv --n 1000 \
//     --openlive-node-args="--import $PWD/bench/experiments/flv-one-writev.mjs"
import { FlvPlayerSink } from '../../src/servers/http/flv-player-sink.ts';
import { encodeFlvHeader } from '../../src/protocol/flv/flv-header.ts';

const head =
  'HTTP/1.1 200 OK\r\nContent-Type: video/x-flv\r\nCache-Control: no-cache, no-store\r\n' +
  'Access-Control-Allow-Origin: *\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n';

function writeChunk(sock, buffers) {
  let len = 0;
  for (const b of buffers) len += b.length;
  sock.cork();
  sock.write(`${len.toString(16)}\r\n`, 'latin1');
  for (const b of buffers) sock.write(b);
  sock.write('\r\n', 'latin1');
  sock.uncork();
}

FlvPlayerSink.prototype.publisherStarted = function publisherStarted() {
  const sock = this.res.socket;
  if (!this.rawStarted) sock.write(head, 'latin1');
  this.rawStarted = true;
  // Keep ServerResponse from sending a head of its own later.
  this.res._header = 'sent';
  this.res._headerSent = true;
  writeChunk(sock, [encodeFlvHeader({ audio: true, video: true })]);
};

FlvPlayerSink.prototype.write = function write(buffers) {
  const sock = this.res.socket;
  if (sock === null || sock.destroyed) return;
  writeChunk(sock, buffers);
};
