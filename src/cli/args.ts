/** Parses `openlive [command] [--key value | --key=value]...` into a command, positionals and dotted flags. */

/** Parsed command line. */
export interface ParsedArgs {
  readonly command: string | undefined;
  readonly positionals: string[];
  /** Flags with kebab-case segments turned into the schema's camelCase: `--data-dir` → `dataDir`. */
  readonly flags: Record<string, string>;
}

/** Turns `fanout.merge-window-ms` into `fanout.mergeWindowMs`. */
function toKey(flag: string): string {
  return flag
    .split('.')
    .map((part) => part.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()))
    .join('.');
}

/** Parses argv (without node and the script); a flag without a value is "true". */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0) {
      flags[toKey(arg.slice(2, eq))] = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      const value = next !== undefined && !next.startsWith('--') ? next : 'true';
      if (value === next) i++;
      flags[toKey(arg.slice(2))] = value;
    }
  }
  return { command: positionals.shift(), positionals, flags };
}
