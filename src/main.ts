/**
 * The openlive command line: `openlive [start]` runs the service; `openlive url` prints signed URLs;
 * `openlive domain|records|stream` manage the store and `openlive keys` the API keys (docs/cli.md); `openlive doctor` troubleshoots a push URL.
 * Flags set configuration keys (`--rtmp.port 1936`) and command options (`--stream demo`).
 */
import { parseArgs } from './cli/args.ts';
import { loadConfig } from './cli/config-load.ts';
import { configSchema, type Config } from './config/config-schema.ts';
import { createLog } from './log.ts';
import { Service } from './cli/service.ts';
import { installFaultHandlers } from './cli/process-faults.ts';
import { installShutdown } from './cli/shutdown.ts';
import { LiveError } from './errors.ts';
import { startBanner } from './cli/banner.ts';
import { createStore } from './store/create-store.ts';
import { bootstrap } from './control/bootstrap.ts';
import { urlCommand } from './cli/commands/url-command.ts';
import { domainCommand, domainUsage } from './cli/commands/domain-command.ts';
import { recordsCommand, recordsUsage } from './cli/commands/records-command.ts';
import { streamCommand, streamUsage } from './cli/commands/stream-command.ts';
import { keysCommand, keysUsage } from './cli/commands/keys-command.ts';
import { doctorCommand, doctorUsage } from './cli/commands/doctor-command.ts';
import type { Store } from './store/store.ts';
import { requireDataDir } from './cli/data-dir.ts';
import { loadDataKey } from './cli/data-key-file.ts';
import cluster from 'node:cluster';
import { ServerCounters } from './servers/counters.ts';
import { runPrimary, workerCount } from './cli/workers.ts';
import { runWorker } from './cli/worker-process.ts';
import { configEnv, workerEnvNames } from './cli/worker-messages.ts';
import { trimIdleMemory } from './cli/idle-trim.ts';

const usage = `usage: openlive [start] [--config file.yml] [--<key> <value>]...
       openlive url [--domain D] [--play-domain P] [--app live] [--stream S] [--expires 24h] [--json]
       ${domainUsage}
       ${recordsUsage}
       ${streamUsage}
       ${keysUsage}
       ${doctorUsage}
See docs/config.md for every key and docs/cli.md for the commands.
`;

/** Splits flags into configuration keys (top-level keys of the schema) and command options. */
function splitFlags(flags: Record<string, string>): {
  configFlags: Record<string, string>;
  options: Record<string, string>;
} {
  const configFlags: Record<string, string> = {};
  const options: Record<string, string> = {};
  const keys = new Set(Object.keys(configSchema.shape));
  for (const [key, value] of Object.entries(flags)) {
    if (keys.has(key.split('.')[0]!)) configFlags[key] = value;
    else if (key !== 'config') options[key] = value;
  }
  return { configFlags, options };
}

/**
 * Runs the server: the fault handlers go in before anything can fail asynchronously, the signal
 * handlers once it is listening (a signal during start has Node's default: exit at once).
 */
async function start(config: Config): Promise<void> {
  const log = createLog(config.log.level);
  const exitNow = (status: number): never => process.exit(status);
  // `--workers N` (docs/cluster.md "Worker processes"): this process is the primary, or one of its workers.
  if (cluster.isWorker && process.env[workerEnvNames.index] !== undefined) return runWorker(config, log, exitNow);
  // A foreign cluster worker (pm2 cluster mode) runs as one process: only a primary can fork.
  if (workerCount(config.workers) > 1 && cluster.isPrimary) {
    installFaultHandlers({ log, counters: new ServerCounters(), exit: exitNow });
    return runPrimary(config, log, exitNow);
  }
  const service = new Service(config, log);
  const exit = (status: number): never => process.exit(status);
  installFaultHandlers({ log, counters: service.counters, exit });
  await service.start();
  const api = { port: service.apiPort, created: service.createdCredential };
  const tls = { rtmpsPort: service.rtmpsPort, httpsPort: service.httpsPort };
  process.stdout.write(startBanner(config, service.defaults, service.rtmpPort, service.httpPort, Date.now(), api, tls));
  installShutdown({ log, drain: () => service.close(), timeoutMs: config.limits.shutdownTimeoutMs, exit });
  // SIGHUP reloads the TLS certificates (docs/tls.md); without TLS it keeps Node's default (exit).
  if (service.certificates) process.on('SIGHUP', () => service.reloadCertificates('SIGHUP'));
  // Startup's garbage out and the young generation shrunk before the first client (issue 17).
  const rss = trimIdleMemory();
  log.debug({ rssBefore: rss.before, rssAfter: rss.after }, 'idle memory trimmed after start');
}

/** How long a CLI command may block waiting for the server's write lock: it is short-lived, nothing else waits on it. */
const cliBusyTimeoutMs = 5000;

/**
 * Runs a command over the store the server uses (store.url: PostgreSQL, or SQLite in WAL mode, so it works while the server runs);
 * refuses with DATA_DIR_NOT_FOUND where there is no openlive data rather than creating a new database.
 */
async function withStore(
  config: Config,
  command: string,
  run: (store: Store, dataKey: Buffer) => Promise<string>,
): Promise<void> {
  requireDataDir(config.dataDir, command, config.store.url);
  const dataKey = loadDataKey(config.dataDir);
  const store = createStore(config, { dataKey, busyTimeoutMs: cliBusyTimeoutMs });
  try {
    await store.ready?.();
    // A command before any start still finds the default domains (bootstrap runs once per data dir).
    await bootstrap({
      store,
      now: Date.now,
      pushDomain: config.domains.defaultPushDomain,
      playDomain: config.domains.defaultPlayDomain,
      cnameSuffix: config.domains.cnameSuffix,
    });
    process.stdout.write(await run(store, dataKey));
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.flags.help || args.command === 'help') return void process.stdout.write(usage);
  const { configFlags, options } = splitFlags(args.flags);
  const config = loadConfig({
    file: args.flags.config ?? process.env.OPENLIVE_CONFIG,
    env: configEnv(process.env),
    flags: configFlags,
  });
  switch (args.command ?? 'start') {
    case 'start':
      if (Object.keys(options).length > 0)
        throw new LiveError('CONFIG_INVALID', `unknown option --${Object.keys(options)[0]}`);
      return start(config);
    case 'url':
      return withStore(config, 'url', (store) => urlCommand(config, store, options, Date.now()));
    case 'domain':
      return withStore(config, 'domain', (store) =>
        domainCommand({ config, store, nowMs: Date.now() }, args.positionals, options),
      );
    case 'records':
      return withStore(config, 'records', (store) =>
        recordsCommand({ config, store, nowMs: Date.now() }, args.positionals, options),
      );
    case 'stream':
      return withStore(config, 'stream', (store) =>
        streamCommand({ config, store, nowMs: Date.now() }, args.positionals, options),
      );
    case 'keys':
      return withStore(config, 'keys', (store, dataKey) =>
        keysCommand({ config, store, nowMs: Date.now(), dataKey }, args.positionals, options),
      );
    case 'doctor':
      // Exit 2 when a check fails, so scripts can tell "found a fault" from "could not run" (1).
      return withStore(config, 'doctor', async (store) => {
        const result = await doctorCommand({ config, store, nowMs: Date.now() }, args.positionals, options);
        if (!result.ok) process.exitCode = 2;
        return result.text;
      });
    default:
      throw new LiveError('CONFIG_INVALID', `unknown command "${args.command}"\n${usage}`);
  }
}

main().catch((err: unknown) => {
  const message = err instanceof LiveError ? `${err.code}: ${err.message}` : String(err);
  process.stderr.write(`openlive: ${message}\n`);
  process.exit(1);
});
