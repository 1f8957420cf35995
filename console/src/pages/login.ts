/** Sign in with a SecretId/SecretKey pair; the key only signs requests in this tab (docs/console.md). */
import { ApiError } from '../lib/api.ts';
import type { Credential } from '../lib/session.ts';
import { alert, field } from '../ui/components.ts';
import { h, replace } from '../ui/dom.ts';

/** Plain HTTP to a host that is not this machine (docs/console.md: use HTTPS in front of the admin port). */
function insecure(): boolean {
  return (
    location.protocol === 'http:' && !/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$|\.localhost$/.test(location.hostname)
  );
}

/** The sign-in screen; `signIn` rejects with the API's error when the pair does not work. */
export function loginPage(signIn: (c: Credential) => Promise<void>): HTMLElement {
  const secretId = h('input', {
    class: 'input mono',
    name: 'secretId',
    autocomplete: 'username',
    required: true,
    spellcheck: 'false',
    placeholder: 'AKID…',
  });
  const secretKey = h('input', {
    class: 'input mono',
    name: 'secretKey',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    placeholder: 'SecretKey',
  });
  const message = h('div', { class: 'login-message' });
  const submit = h('button', { class: 'btn btn-primary btn-block', type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'login-form',
      onsubmit: async (ev: SubmitEvent) => {
        ev.preventDefault();
        submit.disabled = true;
        submit.textContent = 'Signing in…';
        replace(message);
        try {
          await signIn({ secretId: secretId.value.trim(), secretKey: secretKey.value.trim() });
        } catch (err) {
          const text = err instanceof ApiError ? `${err.code}: ${err.message}` : String(err);
          replace(message, alert('error', text));
          submit.disabled = false;
          submit.textContent = 'Sign in';
          secretKey.focus();
        }
      },
    },
    field('SecretId', secretId),
    field('SecretKey', secretKey),
    message,
    submit,
  );
  const page = h(
    'div',
    { class: 'login' },
    h(
      'main',
      { class: 'login-card', id: 'main' },
      h('div', { class: 'login-brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '◆'), 'openlive'),
      h('h1', null, 'Sign in to the console'),
      h(
        'p',
        { class: 'login-note' },
        'Use a Cloud API key pair. The first start of the server printed one; ',
        h('code', null, 'openlive keys create'),
        ' makes another. The SecretKey stays in this browser tab: it signs each request and is never sent.',
      ),
      insecure()
        ? alert(
            'warning',
            'This page came over plain HTTP from another machine: the key never travels, but what the API answers (domain keys, URLs) can be read on the way. Put HTTPS in front of the admin port, or reach it through an SSH tunnel.',
          )
        : null,
      form,
    ),
  );
  queueMicrotask(() => secretId.focus());
  return page;
}
