/**
 * Address Generator: signed push URLs (and the OBS Server / Stream key split) and play URLs for a
 * stream, valid until a chosen time. The signatures are computed here in the browser from the
 * domain's key (DescribeLivePushAuthKey / DescribeLivePlayAuthKey), as Tencent's console does.
 */
import { allDomains, authOf, type DomainInfo } from '../lib/domains.ts';
import { formatTime, toLocalInput } from '../lib/format.ts';
import { generateUrls } from '../lib/stream-urls.ts';
import { alert, button, card, copyField, emptyState, field } from '../ui/components.ts';
import { errorText, fill } from '../ui/async.ts';
import { h, replace } from '../ui/dom.ts';
import type { Page, PageContext } from './page.ts';

const namePattern = '[A-Za-z0-9_\\-.~!*]{1,256}';

function form(ctx: PageContext, push: DomainInfo[], play: DomainInfo[]): HTMLElement {
  const kind = h(
    'select',
    { class: 'input', name: 'kind' },
    h('option', { value: 'push' }, 'Push address'),
    h('option', { value: 'play' }, 'Playback address'),
  );
  const pushSelect = h(
    'select',
    { class: 'input', name: 'pushDomain' },
    push.map((d) => h('option', { value: d.Name }, d.Name + (d.Status === 1 ? '' : ' (disabled)'))),
  );
  const playSelect = h(
    'select',
    { class: 'input', name: 'playDomain' },
    play.map((d) => h('option', { value: d.Name }, d.Name + (d.Status === 1 ? '' : ' (disabled)'))),
  );
  const app = h('input', {
    class: 'input mono',
    name: 'app',
    value: 'live',
    required: true,
    pattern: namePattern,
    spellcheck: 'false',
  });
  const stream = h('input', {
    class: 'input mono',
    name: 'stream',
    required: true,
    pattern: namePattern,
    placeholder: 'e.g. room1001',
    spellcheck: 'false',
  });
  const expires = h('input', {
    class: 'input',
    type: 'datetime-local',
    name: 'expires',
    required: true,
    value: toLocalInput(Date.now() + 24 * 3600_000),
  });
  const result = h('div', { class: 'generated', 'aria-live': 'polite' });
  const presetPlay = ctx.query.get('play');
  const presetPush = ctx.query.get('push');
  if (presetPlay) {
    kind.value = 'play';
    playSelect.value = presetPlay;
  }
  if (presetPush) pushSelect.value = presetPush;
  const pushField = field('Push domain', pushSelect);
  const playField = field('Playback domain', playSelect);
  const sync = (): void => {
    pushField.hidden = kind.value !== 'push';
    playField.hidden = kind.value !== 'play';
  };
  kind.addEventListener('change', sync);
  sync();
  const generate = async (): Promise<void> => {
    const expiresAt = Math.floor(new Date(expires.value).getTime() / 1000);
    if (!Number.isFinite(expiresAt)) return replace(result, alert('error', 'Choose when the URL expires.'));
    if (expiresAt * 1000 <= Date.now())
      return replace(result, alert('error', 'The expiry must be in the future: txTime is when the URL stops working.'));
    const isPush = kind.value === 'push';
    const domain = isPush ? pushSelect.value : playSelect.value;
    if (!domain)
      return replace(result, alert('error', `Add a ${isPush ? 'push' : 'playback'} domain first (Domain Management).`));
    await fill(result, async () => {
      const [info, auth] = await Promise.all([ctx.info(), authOf(ctx.api, domain, isPush ? 0 : 1)]);
      const signing = { name: domain, key: auth.enabled ? auth.key : undefined, algorithm: auth.algorithm };
      const urls = generateUrls({
        app: app.value.trim(),
        stream: stream.value.trim(),
        expiresAt,
        ports: { rtmp: info.RtmpPort, http: info.HttpPort, rtmps: info.RtmpsPort ?? 0, https: info.HttpsPort ?? 0 },
        ...(isPush ? { push: signing } : { play: signing }),
      });
      const note = auth.enabled
        ? `Signed with the master key; valid until ${formatTime(expiresAt * 1000)} (txTime ${urls.txTime}) plus ${auth.authDelta} s.`
        : 'Authentication is off for this domain, so the URL carries no signature.';
      const short = expiresAt * 1000 - Date.now() < 12 * 3600_000;
      return [
        h('p', { class: 'note' }, note),
        short && isPush
          ? alert(
              'warning',
              'Less than 12 hours: an encoder that reconnects after the expiry is refused (18/501). Tencent recommends 12 to 24 hours or more.',
            )
          : null,
        urls.push
          ? [
              copyField('RTMP push URL', urls.push.rtmp, 'push-url'),
              h('h3', { class: 'sub' }, 'OBS settings'),
              copyField('Server', urls.push.obsServer, 'obs-server'),
              copyField('Stream key', urls.push.obsStreamKey, 'obs-stream-key'),
              urls.push.rtmps ? copyField('RTMPS push URL', urls.push.rtmps, 'push-url-rtmps') : null,
              urls.push.obsServerRtmps
                ? copyField('Server (RTMPS)', urls.push.obsServerRtmps, 'obs-server-rtmps')
                : null,
            ]
          : null,
        urls.play
          ? [
              copyField('RTMP', urls.play.rtmp, 'play-rtmp'),
              copyField('HTTP-FLV', urls.play.flv, 'play-flv'),
              copyField('HLS', urls.play.hls, 'play-hls'),
              urls.play.rtmps ? copyField('RTMPS', urls.play.rtmps, 'play-rtmps') : null,
              urls.play.httpsFlv ? copyField('HTTPS-FLV', urls.play.httpsFlv, 'play-https-flv') : null,
              urls.play.httpsHls ? copyField('HTTPS-HLS', urls.play.httpsHls, 'play-https-hls') : null,
            ]
          : null,
      ];
    });
  };
  return h(
    'div',
    { class: 'address-grid' },
    h(
      'form',
      {
        class: 'address-form',
        onsubmit: (ev: SubmitEvent) => (
          ev.preventDefault(),
          void generate().catch((err: unknown) => replace(result, alert('error', errorText(err))))
        ),
      },
      field('Type', kind),
      pushField,
      playField,
      field('AppName', app, 'Letters, digits and _-.~!*; "live" by default.'),
      field('StreamName', stream),
      field('Expires', expires, 'txTime: the moment the URL stops working, in your local time.'),
      h('button', { class: 'btn btn-primary', type: 'submit' }, 'Generate'),
    ),
    result,
  );
}

/** The Address Generator page. */
export const addressPage: Page = {
  path: '/address',
  title: 'Address Generator',
  render(ctx) {
    const body = h('div');
    void fill(body, async () => {
      const domains = await allDomains(ctx.api);
      const push = domains.filter((d) => d.Type === 0);
      const play = domains.filter((d) => d.Type === 1);
      if (push.length === 0 && play.length === 0) {
        return emptyState(
          'No domains yet',
          'Add a push domain in Domain Management; its URLs are generated here.',
          button('Go to Domain Management', () => ctx.navigate('/console/domains'), { kind: 'primary' }),
        );
      }
      return form(ctx, push, play);
    });
    return h('div', { class: 'page' }, h('h1', { class: 'page-title' }, 'Address Generator'), card(null, body));
  },
};
