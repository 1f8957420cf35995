/**
 * `npm run build`: the production build (docs/performance.md "Idle memory (issue 17)"). esbuild bundles
 * src/main.ts and the pure-JavaScript libraries into ES modules in build/ (main.js and its chunks): one chunk
 * per library and per layer of openlive. Fewer modules than one file per source take less memory (no
 * per-module loader records, no CommonJS export scan), and chunks of at most 600 KB keep each compile small:
 * V8 parses a module in one zone, and glibc keeps a large zone's freed pages (one 2 MB bundle held 14 MB of
 * freed parser memory for good). werift, the AWS SDK, ioredis and pg stay in node_modules: src/lazy-module.ts
 * requires them on first use.
 */
import { build, type Plugin } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}build`;

/**
 * Bundled, each into a chunk of its own (with what it alone depends on). Not zod: it is an ES module, and an
 * `export *` entry would keep all of it; from src/config alone, tree shaking drops its 40 locales (1.4 MB idle).
 */
const bundledLibraries = ['fastify', '@fastify/static', 'yaml', 'pino', 'prom-client'];
/**
 * Left to node_modules: large, optional, loaded on first use (src/lazy-module.ts); and fastify's schema
 * compilers, which src/servers/http/lazy-schema-compilers.ts loads only for a route with a schema.
 */
const lazyLibraries = [
  'werift',
  '@aws-sdk/client-s3',
  'ioredis',
  'pg',
  '@fastify/ajv-compiler',
  '@fastify/fast-json-stringify-compiler',
];

/**
 * One extra entry point per library (`export * from 'lib'`): with code splitting, esbuild puts the code that
 * the same set of entries reach into one chunk, so each library lands in its own chunk, imported by main.js.
 * The small entry files themselves (lib-*.js) are never loaded.
 */
const libraryEntries: Plugin = {
  name: 'library-entries',
  setup(b) {
    b.onResolve({ filter: /^library:/ }, (args) => ({
      path: args.path.slice('library:'.length),
      namespace: 'library',
    }));
    b.onLoad({ filter: /.*/, namespace: 'library' }, (args) => ({
      contents: `export * from '${args.path}';`,
      resolveDir: root,
    }));
  },
};

/**
 * openlive's own code split the same way, one chunk per layer (src/<folder>/): the largest module V8 parses
 * stays under 600 KB (2 MB less idle than one 880 KB main.js). Finer (servers/ per subfolder) was worse.
 */
const layerFolders = ['protocol', 'hub', 'control', 'store', 'cluster', 'servers', 'config', 'cli'];
const layerEntries: Plugin = {
  name: 'layer-entries',
  setup(b) {
    b.onResolve({ filter: /^layer:/ }, (args) => ({ path: args.path.slice('layer:'.length), namespace: 'layer' }));
    b.onLoad({ filter: /.*/, namespace: 'layer' }, (args) => {
      const files = readdirSync(`${root}src/${args.path}`, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts') && !/test/.test(f)) // not *.test.ts nor *test-kit*.ts
        .sort();
      const lines = files.map((f, i) => `import * as m${i} from './src/${args.path}/${f}'; export { m${i} };`);
      return { contents: lines.join('\n'), resolveDir: root, loader: 'ts' };
    });
  },
};

/**
 * Node builtins that bundled libraries require at load but use only for options openlive leaves off:
 * fastify's `node:https` and `node:http2` (its `https` and `http2` options), prom-client's `https`
 * (Pushgateway). They get a stand-in that requires the real module on first use of any of its properties,
 * so an idle server does not load TLS and HTTP/2 (about 7 MB). openlive's own code is not affected.
 */
const lazyBuiltins = ['https', 'http2'];
const lazyBuiltinShims: Plugin = {
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${lazyBuiltins.join('|')})$`);
    b.onResolve({ filter }, (args) =>
      args.importer.includes('/node_modules/') && args.kind === 'require-call'
        ? { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      contents: `let real; const load = () => (real ??= process.getBuiltinModule('node:${args.path}'));
module.exports = new Proxy({}, {
  get: (_, key) => load()[key],
  has: (_, key) => key in load(),
  ownKeys: () => Reflect.ownKeys(load()),
  getOwnPropertyDescriptor: (_, key) => {
    const d = Reflect.getOwnPropertyDescriptor(load(), key);
    return d && { ...d, configurable: true };
  },
});`,
      loader: 'js',
    }));
  },
};

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: [
    { in: 'src/main.ts', out: 'main' },
    ...bundledLibraries.map((lib) => ({ in: `library:${lib}`, out: `lib-${lib.replace(/[@/]/g, '')}` })),
    ...layerFolders.map((folder) => ({ in: `layer:${folder}`, out: `layer-${folder}` })),
  ],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  external: lazyLibraries,
  // Whitespace and syntax only: names stay, so stack traces and logs read as in the sources.
  minifyWhitespace: true,
  minifySyntax: true,
  // ASCII only and no license comments: one non-ASCII byte makes V8 hold the whole file as UTF-16.
  charset: 'ascii',
  legalComments: 'none',
  // The bundled CommonJS libraries call require() for Node's builtins; an ES module has none of its own.
  banner: {
    js: 'import { createRequire as __openliveRequire } from "node:module"; const require = __openliveRequire(import.meta.url);',
  },
  plugins: [libraryEntries, layerEntries, lazyBuiltinShims],
  logLevel: 'warning',
});
