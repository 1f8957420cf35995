/**
 * What a fuzz target is: bytes targets (mutated from seeds) and fast-check targets (structured
 * values), each with the one rule that only the project's coded errors may escape.
 */
import type fc from 'fast-check';
import { LiveError } from '../../src/errors.ts';
import { ApiError } from '../../src/servers/api/api-action.ts';
import type { ExtraMutation } from './mutate.ts';

/** What one passing run produced, a short label; new labels grow the corpus (output-guided fuzzing). */
export type Outcome = string | void;

/** A target fed with mutated bytes. */
export interface BytesTarget {
  readonly kind: 'bytes';
  readonly name: string;
  /** Inputs per run unless --inputs says otherwise. */
  readonly inputs: number;
  /** Longest input the mutator makes. */
  readonly maxLen: number;
  /** Seed inputs, usually from test/fixtures. */
  seeds(): Buffer[];
  /** Runs one input; throws on failure. */
  run(input: Buffer): Outcome | Promise<Outcome>;
  readonly extra?: ExtraMutation;
}

/** A target fed with fast-check values (structured inputs; shrunk by fast-check). */
export interface CheckTarget<T = unknown> {
  readonly kind: 'check';
  readonly name: string;
  readonly inputs: number;
  readonly arbitrary: fc.Arbitrary<T>;
  run(value: T): Outcome | Promise<Outcome>;
  /** Values as saved in test/fixtures/fuzz (JSON; Buffers as hex). */
  toJson(value: T): unknown;
  fromJson(json: unknown): T;
  /** For async targets (e.g. fastify inject). */
  readonly async?: boolean;
  setup?(): Promise<void>;
  close?(): Promise<void>;
}

/** Any fuzz target. */
export type FuzzTarget = BytesTarget | CheckTarget<any>;

/** A failure the target's own oracle found (not a throw of the code under test). */
export class OracleFailure extends Error {
  override name = 'OracleFailure';
}

/** The errors that are a correct answer to bad input: the project's errors with a stable code. */
export function isCodedError(err: unknown): err is LiveError | ApiError {
  if (err instanceof LiveError) return typeof err.code === 'string' && err.code !== 'INTERNAL';
  return err instanceof ApiError && err.code !== 'InternalError';
}

/**
 * A coded error's label: its code and the plain lowercase words of its message (names, numbers and
 * quoted input left out), so a new kind of refusal is a new outcome but the same refusal of other
 * bytes is not (else the corpus fills with noise).
 */
export function codedOutcome(err: LiveError | ApiError): string {
  const words = err.message.split(/\s+/).filter((w) => /^[a-z]+$/.test(w));
  return `${err.code}:${words.join(' ').slice(0, 48)}`;
}

/** Runs `fn`, mapping coded errors to an outcome label; anything else propagates as a failure. */
export function coded(fn: () => Outcome): Outcome {
  try {
    return fn();
  } catch (err) {
    if (isCodedError(err)) return codedOutcome(err);
    throw err;
  }
}

/** What identifies a failure for deduplication: its class, code and the first frame in our code (an oracle's: its message). */
export function failureSignature(err: unknown): string {
  if (!(err instanceof Error)) return `throw:${typeof err}:${String(err).slice(0, 40)}`;
  const code = (err as { code?: unknown }).code;
  const frame = (err.stack ?? '').split('\n').find((l) => /\/(src|scripts)\//.test(l)) ?? '';
  const where = /\/((?:src|scripts)\/[^:)]+:\d+)/.exec(frame)?.[1] ?? '';
  // An oracle's message says what broke; its frame is the harness's own, which moves with every edit.
  if (err instanceof OracleFailure) return `${err.name}:${err.message.replace(/\d+/g, '#').slice(0, 80)}`;
  return `${err.name}:${String(code ?? '')}@${where}`;
}

/** Buffers inside JSON as `{ "hex": "..." }`. */
export function hexJson(buf: Buffer): { hex: string } {
  return { hex: buf.toString('hex') };
}

/** The Buffer of a `{ "hex": "..." }`. */
export function fromHexJson(json: unknown): Buffer {
  return Buffer.from((json as { hex: string }).hex, 'hex');
}
