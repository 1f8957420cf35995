/** Loads the configuration from a YAML file, then environment variables, then CLI flags (last wins). */
import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { LiveError } from '../errors.ts';
import { configSchema, type Config } from '../config/config-schema.ts';

/** Where the configuration comes from; each source overrides the one before. */
export interface ConfigSources {
  /** Path of a YAML file; when absent, `./openlive.yml` is read if it exists. */
  file?: string | undefined;
  /** Environment: `OPENLIVE_RTMP__PORT=1936` sets `rtmp.port` (double underscore nests). */
  env?: Record<string, string | undefined>;
  /** Flags as dotted keys: `{ 'rtmp.port': '1936' }`. */
  flags?: Record<string, string>;
}

type Tree = Record<string, unknown>;

/** Sets `a.b.c` in a nested object, creating the levels on the way. */
function setPath(tree: Tree, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Tree;
  }
  node[keys.at(-1)!] = value;
}

/** Maps `OPENLIVE_FANOUT__MERGE_WINDOW_MS` to `fanout.mergeWindowMs`. */
function envKeyToPath(name: string): string {
  return name
    .slice('OPENLIVE_'.length)
    .split('__')
    .map((part) => part.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()))
    .join('.');
}

/** Reads the YAML file into a tree, naming the file in any error. */
function readFileTree(path: string): Tree {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new LiveError('CONFIG_INVALID', `config file ${path}: ${(err as Error).message}`, { cause: err });
  }
  let tree: unknown;
  try {
    tree = parseYaml(text) ?? {};
  } catch (err) {
    throw new LiveError('CONFIG_INVALID', `config file ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (typeof tree !== 'object' || Array.isArray(tree)) {
    throw new LiveError('CONFIG_INVALID', `config file ${path}: the top level must be a mapping`);
  }
  return tree as Tree;
}

/** Builds and validates the configuration; a wrong value throws CONFIG_INVALID naming the key. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const file = sources.file ?? (existsSync('openlive.yml') ? 'openlive.yml' : undefined);
  const tree: Tree = file ? readFileTree(file) : {};
  for (const [name, value] of Object.entries(sources.env ?? {})) {
    if (name.startsWith('OPENLIVE_') && name !== 'OPENLIVE_CONFIG' && value !== undefined) {
      setPath(tree, envKeyToPath(name), value);
    }
  }
  for (const [key, value] of Object.entries(sources.flags ?? {})) setPath(tree, key, value);
  const result = configSchema.safeParse(tree);
  if (!result.success) {
    const lines = result.error.issues.flatMap((issue) => {
      const key = issue.path.join('.');
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((k) => `${key ? `${key}.` : ''}${k}: unknown key`);
      }
      return [`${key || '(top level)'}: ${issue.message}`];
    });
    throw new LiveError('CONFIG_INVALID', `invalid configuration: ${lines.join('; ')}`);
  }
  return result.data;
}
