/** The openlive entry point: `node src/main.ts [start] [--config file.yml] [--rtmp.port 1935] ...`. */
import { parseArgs } from './cli/args.ts';
import { loadConfig } from './cli/config-load.ts';
import { createLog } from './log.ts';
import { Service } from './cli/service.ts';
import { LiveError } from './errors.ts';
import { startBanner } from './cli/banner.ts';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { config: file, ...flags } = args.flags;
  const config = loadConfig({ file: file ?? process.env.OPENLIVE_CONFIG, env: process.env, flags });
  const log = createLog(config.log.level);
  const service = new Service(config, log);
  await service.start();
  process.stdout.write(startBanner(config, service.defaults, service.rtmpPort, service.httpPort, Date.now()));
  const stop = (signal: string): void => {
    log.info({ signal }, 'shutting down');
    service.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  const message = err instanceof LiveError ? `${err.code}: ${err.message}` : String(err);
  process.stderr.write(`openlive: ${message}\n`);
  process.exit(1);
});
