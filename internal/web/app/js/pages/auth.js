// Signing in and registering (POST /iam/login, POST /iam/register).

import { api, signIn } from '../api.js';
import { h, field, select, errorBox, busy, value } from '../dom.js';

export function login(view, _params, { navigate }) {
  const box = errorBox();
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h('form', { class: 'stack card', novalidate: true },
    box,
    field('Email', { name: 'email', type: 'email', autocomplete: 'username', required: true }),
    field('Password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    h('div', { class: 'row' }, submit, h('a', { href: '/app/register' }, 'Create an account')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, box, async () => {
      const me = await signIn(value(form, 'email'), form.elements.namedItem('password').value);
      navigate('/app/', `Welcome, ${me.name}.`);
    }, form);
  });
  view.append(h('h1', {}, 'Sign in'), form);
}

export function register(view, _params, { navigate }) {
  const box = errorBox();
  const submit = h('button', { type: 'submit' }, 'Register');
  const form = h('form', { class: 'stack card', novalidate: true },
    box,
    field('Name', { name: 'name', autocomplete: 'name', required: true }),
    field('Email', { name: 'email', type: 'email', autocomplete: 'email', required: true }),
    field('Password', { name: 'password', type: 'password', autocomplete: 'new-password', required: true }, 'At least 8 characters; a few unrelated words work well. Not a common password, a pattern (aaaa, 1234) or your name or email.'),
    select('I am a', 'role', [['customer', 'Customer: I want to tour homes'], ['provider', 'Provider: I list homes'], ['realtor', 'Realtor: I show homes']], 'customer'),
    h('div', { class: 'row' }, submit, h('a', { href: '/app/login' }, 'I have an account')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, box, async () => {
      const body = { name: value(form, 'name'), email: value(form, 'email'), password: form.elements.namedItem('password').value, role: value(form, 'role') };
      const user = await api('POST', '/iam/register', body);
      await signIn(body.email, body.password);
      navigate('/app/', user.verified ? 'Account created.' : 'Account created. An admin must verify it before you can list homes or take tours.');
    }, form);
  });
  view.append(h('h1', {}, 'Create an account'), form);
}
