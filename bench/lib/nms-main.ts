// Starts node-media-server 4 (from bench/node_modules) on its own ports for the fan-out benchmark:
//   node bench/lib/nms-main.ts --rtmp-port P --http-port Q --data-dir DIR
// Only RTMP and HTTP-FLV listen; no admin API, no auth, log level warn (its constructor forces debug).
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(new URL('../package.json', import.meta.url));
const { values } = parseArgs({
  options: {
    'rtmp-port': { type: 'string' },
    'http-port': { type: 'string' },
    'data-dir': { type: 'string' },
  },
});

const NodeMediaServer = require('node-media-server');
const logger = require('node-media-server/src/core/logger.js');
const config = {
  bind: '127.0.0.1',
  notify: { url: '' },
  store: { path: values['data-dir'] },
  auth: { play: false, publish: false, secret: 'bench' },
  rtmp: { port: Number(values['rtmp-port']) },
  http: { port: Number(values['http-port']) },
  webadmin: { enable: false },
  record: { auto: false, path: `${values['data-dir']}/record` },
};
const nms = new NodeMediaServer(config, `${values['data-dir']}/config.json`);
logger.level = 'warn';
void nms.run();
