/** The Drop and Forbid dialogs of Live Streams (DropLiveStream, ForbidLiveStream with ResumeTime and Reason). */
import { isoUtc, toLocalInput } from '../lib/format.ts';
import { alert, button, field, modal, toast } from '../ui/components.ts';
import { errorText } from '../ui/async.ts';
import { h, replace } from '../ui/dom.ts';
import type { PageContext } from './page.ts';

/** The three keys of a stream. */
export interface StreamKey {
  readonly domain: string;
  readonly app: string;
  readonly stream: string;
}

const day = 24 * 3600 * 1000;

/** Asks, then drops the publisher; it may publish again at once (Tencent: "disconnect"). */
export function dropDialog(ctx: PageContext, s: StreamKey, done: () => void): void {
  modal(
    'Drop Stream',
    h(
      'p',
      null,
      `Disconnect the publisher of ${s.app}/${s.stream}? The encoder may reconnect at once; forbid the stream to keep it off.`,
    ),
    (close) => [
      button('Cancel', close),
      button(
        'Drop',
        async () => {
          try {
            await ctx.api.call('DropLiveStream', { DomainName: s.domain, AppName: s.app, StreamName: s.stream });
            toast(`Dropped ${s.stream}.`, 'success');
          } catch (err) {
            toast(errorText(err), 'error');
          }
          close();
          done();
        },
        { kind: 'danger' },
      ),
    ],
  );
}

/** Forbids the stream until a time (at most 90 days) with a reason; a live publisher is dropped at once. */
export function forbidDialog(ctx: PageContext, s: StreamKey, done: () => void): void {
  const until = h('input', {
    class: 'input',
    type: 'datetime-local',
    required: true,
    name: 'resumeTime',
    min: toLocalInput(Date.now() + 60_000),
    max: toLocalInput(Date.now() + 90 * day),
    value: toLocalInput(Date.now() + 7 * day),
  });
  const reason = h('textarea', {
    class: 'input',
    name: 'reason',
    rows: 3,
    maxlength: 2048,
    placeholder: 'Why the stream is forbidden (shown in Disabled Streams)',
  });
  const message = h('div');
  const form = h(
    'form',
    { id: 'forbid-form', onsubmit: (ev: SubmitEvent) => (ev.preventDefault(), void submit()) },
    h(
      'p',
      null,
      `Forbid ${s.app}/${s.stream} on ${s.domain}. The publisher is disconnected now and every new push is refused (18/305) until the stream is resumed or the time passes.`,
    ),
    field('Forbidden until', until, 'In your local time; at most 90 days ahead.'),
    field('Reason', reason),
    message,
  );
  const close = modal('Forbid Stream', form, (close) => [
    button('Cancel', close),
    h('button', { class: 'btn btn-danger', type: 'submit', form: 'forbid-form' }, 'Forbid'),
  ]);
  async function submit(): Promise<void> {
    const ms = new Date(until.value).getTime();
    if (!Number.isFinite(ms)) return replace(message, alert('error', 'Choose when the stream may be published again.'));
    try {
      await ctx.api.call('ForbidLiveStream', {
        DomainName: s.domain,
        AppName: s.app,
        StreamName: s.stream,
        ResumeTime: isoUtc(ms),
        ...(reason.value.trim() && { Reason: reason.value.trim() }),
      });
      close();
      toast(`Forbade ${s.stream}.`, 'success');
      done();
    } catch (err) {
      replace(message, alert('error', errorText(err)));
    }
  }
}
