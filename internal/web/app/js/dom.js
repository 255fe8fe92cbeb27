// Building the page: elements, form fields with labels, and problem+json
// errors shown next to the form that caused them.

/** h builds an element: h('p', {class: 'x'}, 'text', child). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

let seq = 0;

/** field is a labelled input; attrs go to the input (name, type, value, required, ...). */
export function field(label, attrs = {}, hint) {
  const id = 'f' + ++seq;
  const input = attrs.type === 'textarea' ? h('textarea', { ...attrs, type: undefined, id }) : h('input', { type: 'text', ...attrs, id });
  if (attrs.type === 'textarea' && attrs.value) input.value = attrs.value;
  const hintEl = hint ? h('span', { class: 'muted', id: id + 'h' }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', id + 'h');
  return h('label', { for: id }, label, input, hintEl);
}

/** select is a labelled select of [value, text] options. */
export function select(label, name, options, value, attrs = {}) {
  const id = 'f' + ++seq;
  const el = h('select', { name, id, ...attrs }, options.map(([v, t]) => h('option', { value: v, selected: v === value }, t)));
  return h('label', { for: id }, label, el);
}

/** showError renders err (an ApiError or any Error) in box, marks the form's fields it names, and announces it. */
export function showError(box, err, form) {
  box.replaceChildren();
  if (form) form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
  if (!err) { box.hidden = true; return; }
  box.hidden = false;
  box.className = 'error';
  box.setAttribute('role', 'alert');
  const title = err.title || 'Something went wrong';
  box.append(h('strong', {}, title), err.detail && err.detail !== title ? h('div', {}, err.detail) : null);
  const fields = err.fields || [];
  if (fields.length) {
    // Each field is named as its label says, when the form has it.
    const items = fields.map((f) => {
      const input = form ? form.querySelector(`[name="${CSS.escape(f.field)}"]`) : null;
      if (!input) return h('li', {}, `${f.field}: ${f.message}`);
      input.setAttribute('aria-invalid', 'true');
      const label = input.labels && input.labels[0] ? input.labels[0].firstChild.textContent.trim() : f.field;
      return h('li', {}, `${label}: ${f.message}`);
    });
    box.append(h('ul', {}, items));
  }
  if (!err.title && err.message) box.append(h('div', {}, err.message));
}

/** errorBox is an empty, hidden alert box. */
export function errorBox() { return h('div', { class: 'error', hidden: true }); }

/** busy disables a button while fn runs, and shows fn's error in box. */
export async function busy(button, box, fn, form) {
  button.disabled = true;
  try {
    showError(box, null, form);
    return await fn();
  } catch (err) {
    showError(box, err, form);
    return undefined;
  } finally {
    button.disabled = false;
  }
}

/** table renders rows as an accessible table that stacks on narrow screens. */
export function table(caption, columns, rows) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'stacked' },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((cell, i) => h('td', { 'data-label': columns[i] }, cell)))))));
}

/** badge is a status label. */
export function badge(status) { return h('span', { class: `badge ${status}` }, String(status).replace('_', ' ')); }

/** value is the trimmed value of a form's control called name. */
export function value(form, name) {
  const el = form.elements.namedItem(name);
  return el ? String(el.value).trim() : '';
}
