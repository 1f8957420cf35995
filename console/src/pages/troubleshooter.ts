/**
 * Troubleshooter: the doctor (OpenLiveDiagnosePushUrl, docs/doctor.md) on a push URL that fails. Each
 * check of Tencent's publishing-failure checklist shows pass, warn or fail with its one-line fix,
 * then the stream's last refused publishes. SRT push URLs (srt://...?streamid=...) get the same checks.
 */
import { formatApiTime } from '../lib/format.ts';
import { alert, card, field, table, tag } from '../ui/components.ts';
import { fill } from '../ui/async.ts';
import { h } from '../ui/dom.ts';
import type { Page } from './page.ts';

interface Check {
  readonly Name: string;
  readonly Title: string;
  readonly Status: 'pass' | 'warn' | 'fail';
  readonly Detail: string;
  readonly Fix: string;
  readonly BreakCode: string;
}

const marks = {
  pass: ['✔', 'Pass', 'success'],
  warn: ['!', 'Warn', 'warning'],
  fail: ['✖', 'Fail', 'danger'],
} as const;

function checkItem(c: Check): HTMLElement {
  const [icon, word, kind] = marks[c.Status] ?? marks.warn;
  return h(
    'li',
    { class: `check check-${c.Status}`, 'data-testid': `check-${c.Name}`, 'data-status': c.Status },
    h('span', { class: `check-icon tag-${kind}`, 'aria-hidden': 'true' }, icon),
    h(
      'div',
      { class: 'check-body' },
      h(
        'div',
        { class: 'check-head' },
        h('strong', null, c.Title),
        ' ',
        tag(word, kind),
        c.BreakCode ? h('span', { class: 'code' }, c.BreakCode) : null,
      ),
      h('p', { class: 'check-detail' }, c.Detail),
      c.Fix ? h('p', { class: 'check-fix' }, h('span', { class: 'check-fix-label' }, 'Fix: '), c.Fix) : null,
    ),
  );
}

/** The Troubleshooter page; `?url=` fills the URL in. */
export const troubleshooterPage: Page = {
  path: '/troubleshooter',
  title: 'Troubleshooter',
  render(ctx) {
    const url = h(
      'textarea',
      {
        class: 'input mono',
        name: 'pushUrl',
        rows: 3,
        required: true,
        spellcheck: 'false',
        placeholder:
          'rtmp://domain/AppName/StreamName?txSecret=...&txTime=... or srt://domain:9000?streamid=#!::h=domain,r=AppName/StreamName,txSecret=...,txTime=...',
      },
      ctx.query.get('url') ?? '',
    );
    const result = h('div', { 'aria-live': 'polite' });
    const run = (): Promise<void> =>
      fill(result, async () => {
        const r = await ctx.api.call('OpenLiveDiagnosePushUrl', { PushUrl: url.value.trim() });
        const checks = (r.Checks ?? []) as Check[];
        const failed = checks.filter((c) => c.Status === 'fail').length;
        const warned = checks.filter((c) => c.Status === 'warn').length;
        return [
          r.Ok
            ? alert(
                'success',
                `No check failed${warned ? `; ${warned} warning${warned > 1 ? 's' : ''}` : ''}. If the encoder still fails, read its log and the rejected attempts below.`,
              )
            : alert(
                'error',
                `${failed} check${failed > 1 ? 's' : ''} failed${warned ? `, ${warned} warning${warned > 1 ? 's' : ''}` : ''}. Fix them in order, top first.`,
              ),
          h('p', { class: 'note mono' }, r.PushUrl),
          h('ol', { class: 'checks' }, checks.map(checkItem)),
          h('h3', { class: 'sub' }, 'Last rejected publishes of this stream'),
          table<Record<string, any>>(
            [
              { title: 'Time', className: 'nowrap', render: (a) => formatApiTime(a.Time) },
              {
                title: 'Code',
                render: (a) => [h('span', { class: 'code' }, a.BreakCode), ' ', h('span', { class: 'note' }, a.Code)],
              },
              { title: 'Client IP', render: (a) => h('span', { class: 'mono' }, a.ClientIp) },
              { title: 'Host', render: (a) => h('span', { class: 'mono' }, a.Host) },
              { title: 'Reason', render: (a) => h('span', { class: 'reason' }, a.Reason) },
            ],
            r.RejectedAttempts ?? [],
            h('p', { class: 'note' }, 'None recorded: the server has not refused a publish of this stream.'),
            'Rejected publishes',
          ),
        ];
      });
    if (ctx.query.get('url')) void run();
    return h(
      'div',
      { class: 'page' },
      h('h1', { class: 'page-title' }, 'Troubleshooter'),
      card(
        null,
        h(
          'form',
          { class: 'doctor-form', onsubmit: (ev: SubmitEvent) => (ev.preventDefault(), void run()) },
          field(
            'Push URL that fails',
            url,
            'The exact URL the encoder uses (for OBS: Server + Stream key; rtmp://, rtmps:// or srt://). Checks run in the order of the publishing-failure checklist; for SRT the port check is a real SRT handshake over UDP. No key is ever shown.',
          ),
          h('button', { class: 'btn btn-primary', type: 'submit' }, 'Diagnose'),
        ),
      ),
      result,
    );
  },
};
