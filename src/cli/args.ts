/** Parses `openlive [command] [--key value | --key=value]...` into a command, positionals and dotted flags. */
import { parseArgs as parseNodeArgs } from 'node:util';

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

/** A word of the command line: a flag, or a value (positional, or a flag's value when one precedes it). */
type Word = { flag: string; value?: string } | { value: string; afterTerminator: boolean };

/**
 * Parses argv (without node and the script); a flag without a value is "true". `util.parseArgs` splits
 * the words (`--k=v`, `--` ends the flags); the flags are every config key, so they are not declared to
 * it, and its strict mode, which takes `--k v` only for declared options, is off: a flag followed by a
 * value takes it here. A word with one dash (`-1`) is a value, as before, not a short option.
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const { tokens } = parseNodeArgs({ args: [...argv], strict: false, allowPositionals: true, tokens: true });
  const words: Word[] = [];
  let terminated = false;
  let lastIndex = -1;
  for (const t of tokens) {
    if (t.kind === 'option-terminator') terminated = true;
    else if (t.kind === 'positional') words.push({ value: t.value, afterTerminator: terminated });
    else if (!t.rawName.startsWith('--')) {
      // -xy yields one token per letter, all with the index of the one word.
      if (t.index !== lastIndex) words.push({ value: argv[t.index]!, afterTerminator: false });
    } else words.push(t.inlineValue ? { flag: t.name, value: t.value ?? '' } : { flag: t.name });
    lastIndex = t.index;
  }
  const positionals: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (!('flag' in w)) {
      positionals.push(w.value);
      continue;
    }
    const next = words[i + 1];
    if (w.value === undefined && next !== undefined && !('flag' in next) && !next.afterTerminator) {
      flags[toKey(w.flag)] = next.value;
      i++;
    } else flags[toKey(w.flag)] = w.value ?? 'true';
  }
  return { command: positionals.shift(), positionals, flags };
}
