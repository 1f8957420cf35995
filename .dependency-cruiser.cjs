// The layers of design.md ("Layers") and docs/architecture.md as a check: `npm run check:layers`.
// Each rule names what a folder must never import; everything not forbidden is allowed.
//
// Layer order, lowest first: config/, errors.ts, protocol/  <  hub/, store/  <  control/, cluster/  <  servers/
// <  cli/, main.ts. console/ is its own package and talks to the server only over the Cloud API.

/** Node built-ins that do I/O or keep time (with and without the `node:` prefix). */
const IO_CORE =
  '^(node:)?(net|fs|fs/promises|dgram|timers|timers/promises|tls|dns|dns/promises|child_process|http|https|http2|cluster|worker_threads)$';
/** Network built-ins: control/ decides, servers/ (or the entry point) does the network I/O and injects it. */
const NET_CORE = '^(node:)?(net|dgram|tls|dns|dns/promises|http|https|http2)$';
/** The logger and the clock/timer modules: injected into the layers that must stay pure. */
const LOG_CLOCK = '^src/(log|clock|timers)\\.ts$|^src/[^/]+/(clock|timers|system-clock|real-timers)\\.ts$';
/** Unit tests may use test/ helpers and stand up real sockets as fixtures. */
const TEST_FILE = '\\.test\\.ts$';

/* global module -- CommonJS: dependency-cruiser reads this file with require(). */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // protocol/: bytes in, values out. Time arrives as an argument; no sockets, files, timers, clock or logger.
    {
      name: 'protocol-no-io',
      comment: 'protocol/ is pure (design.md): no sockets, files, timers, DNS or processes; time is an argument.',
      severity: 'error',
      from: { path: '^src/protocol/' },
      to: { dependencyTypes: ['core'], path: IO_CORE },
    },
    {
      name: 'protocol-no-log-clock',
      comment: 'protocol/ takes no logger and no clock: the caller logs and passes now.',
      severity: 'error',
      from: { path: '^src/protocol/' },
      to: { path: LOG_CLOCK },
    },
    {
      name: 'protocol-imports-nothing-above',
      comment: 'protocol/ may import only protocol/ and errors.ts (and test/ helpers in its tests).',
      severity: 'error',
      from: { path: '^src/protocol/' },
      to: { path: '^src/', pathNot: ['^src/protocol/', '^src/errors\\.ts$'] },
    },
    // hub/: moves bytes; knows protocol/, errors and the logger type, nothing that decides or does I/O.
    {
      name: 'hub-not-above',
      comment: 'hub/ never imports servers/, control/, store/ or cluster/ (design.md: protocol/, errors, log).',
      severity: 'error',
      from: { path: '^src/hub/' },
      to: { path: '^src/(servers|control|store|cluster)/' },
    },
    // control/: decides; the network I/O (probes, DNS) is injected from servers/ or the entry point.
    {
      name: 'control-not-above',
      comment: 'control/ never imports servers/: the glue calls control, not the other way round.',
      severity: 'error',
      from: { path: '^src/control/' },
      to: { path: '^src/servers/' },
    },
    {
      name: 'control-no-network',
      comment: 'control/ does no network I/O: a probe or resolver is an interface injected from servers/ or cli/.',
      severity: 'error',
      from: {
        path: '^src/control/',
        pathNot: [TEST_FILE],
      },
      to: { dependencyTypes: ['core'], path: NET_CORE },
    },
    // store/: the Store interface and its adapters; knows nothing of who calls it.
    {
      name: 'store-not-above',
      comment: 'store/ never imports control/, servers/, cluster/ or hub/.',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/(control|servers|cluster|hub)/' },
    },
    // cluster/: the Coordinator and its adapters.
    {
      name: 'cluster-not-above',
      comment: 'cluster/ never imports servers/.',
      severity: 'error',
      from: { path: '^src/cluster/' },
      to: { path: '^src/servers/' },
    },
    // config/: the configuration schema and its Config type, below every layer that reads a key.
    {
      name: 'config-at-the-bottom',
      comment: 'config/ (schema and Config type) imports nothing of src/ but itself and errors.ts.',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: ['^src/config/', '^src/errors\\.ts$'] },
    },
    // cli/ wires the parts: no layer (protocol/, hub/, control/, store/, cluster/, servers/, config/) imports it.
    {
      name: 'only-cli-imports-cli',
      comment: 'nothing but cli/ and main.ts imports cli/ or main.ts: configuration types live in config/.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/cli/', '^src/main\\.ts$'] },
      to: { path: '^src/cli/|^src/main\\.ts$' },
    },
    // console/: its own package, talks only to the Cloud API.
    {
      name: 'console-not-src',
      comment: 'console/ talks to the server only over the Cloud API: it imports nothing of src/.',
      severity: 'error',
      from: { path: '^console/' },
      to: { path: '^(src|test|bench|scripts)/' },
    },
    // Production code does not lean on test helpers.
    {
      name: 'src-not-test',
      comment: 'only tests and test kits import test/.',
      severity: 'error',
      from: { path: '^src/', pathNot: [TEST_FILE, '-test-kit\\.ts$'] },
      to: { path: '^test/' },
    },
    // Runtime cycles make load order matter; type-only cycles are erased by type stripping and are allowed.
    {
      name: 'no-circular',
      comment: 'no runtime import cycles (type-only imports are erased and may loop).',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that resolves to nothing is a typo or a missing dependency.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(console/)?node_modules/|^console/dist/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
