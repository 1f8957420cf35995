/**
 * Debian's OBS Studio (29) run headless for interop tests: a generated config dir (HOME in a temp folder)
 * with a scene of one color source and a profile whose custom server and stream key are an openlive push URL
 * split the OBS way, started with `--startstreaming --minimize-to-tray` on its own Xvfb display with Mesa's
 * software OpenGL. Its own log file (`~/.config/obs-studio/logs/*.txt`) is what the tests read.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

/** Why OBS cannot run here, or undefined when `obs` and `Xvfb` are installed (scripts/test.sh installs them). */
export function obsMissing(): string | undefined {
  for (const bin of ['obs', 'Xvfb']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0)
      return `${bin} is not installed (scripts/test.sh installs obs-studio and xvfb)`;
  }
  return undefined;
}

/** Why OBS cannot get a private /etc/ssl/certs here (RTMPS), or undefined: `unshare -rm` needs user namespaces or root. */
export function privateCertsMissing(): string | undefined {
  const r = spawnSync('unshare', ['-rm', 'true']);
  return r.status === 0
    ? undefined
    : `unshare -rm fails here (${String(r.stderr).trim() || r.error?.message}): OBS trusts only /etc/ssl/certs, which the test cannot replace for it`;
}

/** `rtmp://host:port/live/demo?txSecret=...` as OBS's Custom service wants it: server up to the app, key = the rest. */
export function splitPushUrl(url: string): { server: string; key: string } {
  const m = /^(rtmps?:\/\/[^/]+\/[^/]+)\/(.+)$/.exec(url);
  if (!m) throw new Error(`not a push URL: ${url}`);
  return { server: m[1]!, key: m[2]! };
}

/** A running OBS and its log. */
export interface ObsRun {
  /** OBS's own log file so far ('' before it exists). */
  log(): string;
  /** Stops OBS and its Xvfb; removes the config dir. */
  stop(): Promise<void>;
}

/**
 * Starts OBS streaming to `pushUrl`. `caDir` (RTMPS): OBS's librtmp trusts only what mbedtls reads from
 * /etc/ssl/certs (`mbedtls_x509_crt_parse_path`, verify required; no option or variable changes it), so OBS
 * runs in a private mount namespace (`unshare -rm`) where that path is `caDir`, holding the test's certificate.
 */
export async function startObs(pushUrl: string, options: { caDir?: string } = {}): Promise<ObsRun> {
  const home = mkdtempSync(join(tmpdir(), 'openlive-obs-'));
  writeConfig(home, splitPushUrl(pushUrl));
  const display = `:${90 + Math.floor(Math.random() * 400)}`;
  const xvfb = spawn('Xvfb', [display, '-screen', '0', '1024x768x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const env = {
    ...process.env,
    HOME: home,
    DISPLAY: display,
    LIBGL_ALWAYS_SOFTWARE: '1',
    XDG_CONFIG_HOME: join(home, '.config'),
  };
  const obsArgs = [
    '--startstreaming',
    '--minimize-to-tray',
    '--multi',
    '--disable-updater',
    '--disable-shutdown-check',
  ];
  const obs: ChildProcess = options.caDir
    ? spawn(
        'unshare',
        ['-rm', 'sh', '-c', `mount --bind "$0" /etc/ssl/certs && exec obs "$@"`, options.caDir, ...obsArgs],
        { env, stdio: 'ignore' },
      )
    : spawn('obs', obsArgs, { env, stdio: 'ignore' });
  const logs = join(home, '.config', 'obs-studio', 'logs');
  return {
    log: () => {
      try {
        return readdirSync(logs)
          .map((f) => readFileSync(join(logs, f), 'utf8'))
          .join('\n');
      } catch {
        return '';
      }
    },
    async stop() {
      await kill(obs);
      await kill(xvfb);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** global.ini (no first-run wizard), a profile with the Custom service and x264, and a one-color-source scene. */
function writeConfig(home: string, service: { server: string; key: string }): void {
  const c = join(home, '.config', 'obs-studio');
  mkdirSync(join(c, 'basic', 'profiles', 'openlive'), { recursive: true });
  mkdirSync(join(c, 'basic', 'scenes'), { recursive: true });
  writeFileSync(
    join(c, 'global.ini'),
    '[General]\nFirstRun=false\nLastVersion=486539266\nEnableAutoUpdates=false\nConfirmOnExit=false\n' +
      '[Basic]\nProfile=openlive\nProfileDir=openlive\nSceneCollection=openlive\nSceneCollectionFile=openlive\n' +
      '[BasicWindow]\nSysTrayEnabled=true\nSysTrayWhenStarted=true\n',
  );
  writeFileSync(
    join(c, 'basic', 'profiles', 'openlive', 'basic.ini'),
    '[General]\nName=openlive\n[Output]\nMode=Simple\n' +
      // A keyframe every second so a player (ffprobe) starts at once.
      '[SimpleOutput]\nVBitrate=500\nABitrate=64\nStreamEncoder=x264\nPreset=ultrafast\nx264Settings=keyint=30\n' +
      '[Video]\nBaseCX=320\nBaseCY=240\nOutputCX=320\nOutputCY=240\nFPSType=0\nFPSCommon=30\n' +
      '[Audio]\nSampleRate=44100\nChannelSetup=Stereo\n',
  );
  writeFileSync(
    join(c, 'basic', 'profiles', 'openlive', 'service.json'),
    JSON.stringify({ type: 'rtmp_custom', settings: { ...service, use_auth: false } }),
  );
  const color = '22222222-2222-2222-2222-222222222222';
  writeFileSync(
    join(c, 'basic', 'scenes', 'openlive.json'),
    JSON.stringify({
      name: 'openlive',
      current_scene: 'Scene',
      current_program_scene: 'Scene',
      scene_order: [{ name: 'Scene' }],
      sources: [
        {
          id: 'scene',
          versioned_id: 'scene',
          name: 'Scene',
          uuid: '11111111-1111-1111-1111-111111111111',
          flags: 0,
          mixers: 0,
          settings: {
            id_counter: 1,
            items: [
              {
                name: 'Color',
                source_uuid: color,
                visible: true,
                id: 1,
                pos: { x: 0, y: 0 },
                scale: { x: 1, y: 1 },
                bounds_type: 0,
                align: 5,
              },
            ],
          },
        },
        {
          id: 'color_source',
          versioned_id: 'color_source_v3',
          name: 'Color',
          uuid: color,
          flags: 0,
          mixers: 0,
          settings: { color: 4278190335, width: 320, height: 240 },
        },
      ],
    }),
  );
}
