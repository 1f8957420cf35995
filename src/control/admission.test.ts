import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LiveError } from '../errors.ts';
import type { Access, AccessDecision, Refusal } from './access.ts';
import { Admission } from './admission.ts';
import type { AdmissionRequest } from './admission-request.ts';
import type { Claimant, ClaimTarget, PublisherClaims } from './publisher-claims.ts';
import { refusal } from './reasons.ts';

const req = (stream = 'cam'): AdmissionRequest => ({
  protocol: 'rtmp',
  host: 'push.example.com',
  app: 'live',
  stream,
  query: new URLSearchParams(),
  clientIp: '10.0.0.9',
});
const who = (id: string): Claimant => ({ id, clientIp: '10.0.0.9', protocol: 'rtmp' });

/** A hub-like claim table; `async` answers with promises (a remote Coordinator); `full` throws the budget error. */
function claims(opts: { async?: boolean } = {}) {
  const held = new Map<string, string>();
  const state = { full: false, released: [] as string[] };
  const c: PublisherClaims<string> = {
    claim(t: ClaimTarget, p: Claimant) {
      if (state.full) throw new LiveError('MEMORY_BUDGET_EXCEEDED', 'the server is full');
      const got = held.has(t.key) ? undefined : (held.set(t.key, p.id), `${t.key}#${p.id}`);
      return opts.async ? Promise.resolve(got) : got;
    },
    release(claim: string, id: string) {
      const key = claim.split('#')[0]!;
      if (held.get(key) === id) held.delete(key);
      state.released.push(claim);
    },
    isHeld: (t) => held.has(t.key),
  };
  return { c, held, state };
}

function setup(
  decision: AccessDecision = { allowed: true, domain: 'push.example.com', replacePublisher: false },
  opts: { async?: boolean } = {},
) {
  const recorded: Array<{ action: string; refused: Refusal; domain: string | undefined }> = [];
  const checks: Array<{ dryRun: boolean }> = [];
  const access: Access = {
    checkPublish: (_r, o) => (checks.push({ dryRun: o?.dryRun === true }), Promise.resolve(decision)),
    checkPlay: () => Promise.resolve(decision),
    recordRejection: (action, _r, refused, domain) => (recorded.push({ action, refused, domain }), Promise.resolve()),
  };
  const table = claims(opts);
  const dropped: string[] = [];
  const live = {
    drop: (app: string, stream: string, breakCode: string) => {
      dropped.push(`${app}/${stream} ${breakCode}`);
      return table.held.delete(`${app}/${stream}`);
    },
  };
  const errors: string[] = [];
  let full = false;
  const capacity = {
    admit: () => {
      if (full) throw new LiveError('MEMORY_BUDGET_EXCEEDED', 'full');
    },
  };
  const admission = new Admission({ access, claims: table.c, live, capacity, countError: (code) => errors.push(code) });
  return { admission, recorded, checks, table, dropped, errors, fill: () => (full = true) };
}

test('a free stream is claimed and admitted; a second publisher hears 18/601, recorded once with the domain', async () => {
  const { admission, recorded, table } = setup();
  const first = await admission.publish(req(), who('a'));
  assert.deepEqual(first, { kind: 'admitted', claim: 'live/cam#a', domain: 'push.example.com', replaced: false });
  const second = await admission.publish(req(), who('b'));
  assert.equal(second.kind, 'refused');
  assert.equal(second.kind === 'refused' && second.refusal.breakCode, '18/601');
  assert.match(
    second.kind === 'refused' ? second.refusal.reason : '',
    /^18\/601: "live\/cam" is already being published/,
  );
  assert.deepEqual(
    recorded.map((r) => `${r.action} ${r.refused.code} ${r.domain}`),
    ['publish STREAM_ALREADY_PUBLISHING push.example.com'],
  );
  assert.equal(table.held.get('live/cam'), 'a', 'the first keeps the stream');
});

test('an access refusal is returned as is: nothing claimed, nothing recorded twice (the policy records its own)', async () => {
  const denied = refusal('SIGNATURE_INVALID', '18/503', 'wrong');
  const { admission, recorded, table } = setup(denied);
  assert.deepEqual(await admission.publish(req(), who('a')), { kind: 'refused', refusal: denied, domain: '' });
  assert.equal(table.held.size, 0);
  assert.equal(recorded.length, 0);
});

test('the replace policy drops the live publisher with 21/102 and takes the stream', async () => {
  const { admission, dropped, table } = setup({ allowed: true, domain: 'd', replacePublisher: true });
  await admission.publish(req(), who('a'));
  const next = await admission.publish(req(), who('b'));
  assert.deepEqual(next, { kind: 'admitted', claim: 'live/cam#b', domain: 'd', replaced: true });
  assert.deepEqual(dropped, ['live/cam 21/102']);
  assert.equal(table.held.get('live/cam'), 'b');
});

test('past the memory budget a publish is refused with 18/100, counted and recorded', async () => {
  const { admission, recorded, table, errors } = setup();
  table.state.full = true;
  const out = await admission.publish(req(), who('a'));
  assert.equal(out.kind === 'refused' && out.refusal.breakCode, '18/100');
  assert.match(out.kind === 'refused' ? out.refusal.reason : '', /^18\/100: MEMORY_BUDGET_EXCEEDED: /);
  assert.deepEqual(errors, ['MEMORY_BUDGET_EXCEEDED']);
  assert.equal(recorded.length, 1);
});

test('a client gone while the access decision ran claims nothing; one gone during a remote claim gives it back', async () => {
  const { admission, table } = setup();
  assert.deepEqual(await admission.publish(req(), who('a'), { stillWanted: () => false }), { kind: 'abandoned' });
  assert.equal(table.held.size, 0);
  const remote = setup(undefined, { async: true });
  let asked = 0;
  // Still wanted after the access decision, gone once the remote claim answered.
  const out = await remote.admission.publish(req(), who('a'), { stillWanted: () => ++asked === 1 });
  assert.deepEqual(out, { kind: 'abandoned' });
  assert.deepEqual(remote.table.state.released, ['live/cam#a']);
  assert.equal(remote.table.held.size, 0);
});

test('a play past the memory budget is refused with 18/100 only when the transport holds media for it', async () => {
  const { admission, fill, recorded } = setup();
  assert.deepEqual(await admission.play(req(), { holdsMedia: true }), { kind: 'admitted', domain: 'push.example.com' });
  fill();
  assert.equal((await admission.play(req())).kind, 'admitted', 'an HLS request or a HEAD holds nothing');
  const out = await admission.play(req(), { holdsMedia: true });
  assert.equal(out.kind === 'refused' && out.refusal.code, 'MEMORY_BUDGET_EXCEEDED');
  assert.deepEqual(
    recorded.map((r) => r.action),
    ['play'],
  );
});

test('property: the dry run answers what publish then does, and never claims, drops or records', async () => {
  await fc.assert(
    fc.asyncProperty(fc.boolean(), fc.boolean(), fc.boolean(), async (allowed, replace, live) => {
      const decision: AccessDecision = allowed
        ? { allowed: true, domain: 'd', replacePublisher: replace }
        : refusal('STREAM_FORBIDDEN', '18/305', 'no');
      const { admission, table, dropped, recorded, checks } = setup(decision);
      if (live) table.held.set('live/cam', 'old');
      const verdict = await admission.dryRunPublish(req());
      assert.deepEqual([table.held.get('live/cam'), dropped.length, recorded.length], [live ? 'old' : undefined, 0, 0]);
      assert.deepEqual(checks, [{ dryRun: true }]);
      const real = await admission.publish(req(), who('new'));
      assert.equal(verdict.kind, real.kind);
      if (verdict.kind === 'refused' && real.kind === 'refused') assert.deepEqual(verdict.refusal, real.refusal);
      if (verdict.kind === 'admitted' && real.kind === 'admitted') assert.equal(verdict.replaces, real.replaced);
    }),
  );
});

test('the replace policy with the holder on another node: asked there (replaceElsewhere), then claimed; a holder that holds on is 18/601', async () => {
  const decision = { allowed: true, domain: 'push.example.com', replacePublisher: true } as const;
  const { table, recorded } = setup(decision);
  // The stream is held, but by "another node": this node's live publishers do not have it.
  table.held.set('live/cam', 'remote');
  const asked: string[] = [];
  const make = (lets: boolean) =>
    new Admission({
      access: {
        checkPublish: () => Promise.resolve(decision),
        checkPlay: () => Promise.resolve(decision),
        recordRejection: (a, r, refused, d) => (recorded.push({ action: a, refused, domain: d }), Promise.resolve()),
      },
      claims: table.c,
      live: { drop: () => false },
      replaceElsewhere: async (t, ip) => {
        asked.push(`${t.key}@${t.domain} from ${ip}`);
        if (lets) table.held.delete(t.key);
        return lets;
      },
    });
  const refused = await make(false).publish(req(), who('n1'));
  assert.equal(refused.kind, 'refused');
  assert.equal(refused.kind === 'refused' && refused.refusal.breakCode, '18/601');
  const admitted = await make(true).publish(req(), who('n2'));
  assert.deepEqual(admitted, { kind: 'admitted', claim: 'live/cam#n2', domain: 'push.example.com', replaced: true });
  assert.deepEqual(asked, ['live/cam@push.example.com from 10.0.0.9', 'live/cam@push.example.com from 10.0.0.9']);
});
