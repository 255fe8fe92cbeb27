// The inbox (GET /notifications), newest first, live.

import { all } from '../api.js';
import { h, errorBox, showError } from '../dom.js';
import { when } from '../format.js';
import { follow } from '../live.js';

export async function render(view) {
  const box = errorBox();
  const list = h('ul', { class: 'cards', id: 'inbox' });
  view.append(h('h1', {}, 'Notifications'), box, list);
  async function load() {
    const items = await all('/notifications', 100);
    list.replaceChildren(...items.map((n) => h('li', { class: 'card', 'data-kind': n.kind },
      h('h2', {}, n.subject || n.kind),
      h('p', { class: 'muted' }, when(n.sent_at)),
      h('p', { class: 'wrap' }, ...String(n.body || '').split('\n').flatMap((line, i) => (i ? [h('br'), line] : [line]))))));
    if (!items.length) list.append(h('li', {}, 'Nothing yet.'));
  }
  const live = follow(/\.notification\./, load, (err) => showError(box, err));
  await live.ready;
  return live.stop;
}
