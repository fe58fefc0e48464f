// Building DOM without markup strings: every text from the API goes in as a text
// node, so nothing the server (or an invitee's input) returns can become markup.

export type Child = Node | string | number | null | undefined | false | Child[];
type Handler = (event: Event) => void;
export type Props = Record<string, string | number | boolean | null | undefined | Handler>;

function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function apply(el: Element, props: Props): void {
  for (const [key, value] of Object.entries(props)) {
    if (typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(key, '');
    else if (value !== false && value !== null && value !== undefined) el.setAttribute(key, String(value));
  }
}

/** An HTML element: `on*` props become listeners, `true` an empty attribute, falsy props are left out. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  apply(el, props);
  append(el, children);
  return el;
}

/** An SVG element. */
export function s(tag: string, props: Props = {}, ...children: Child[]): SVGElement {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  apply(el, props);
  append(el, children);
  return el;
}

/** Replaces the children of `el`. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing`);
  return el as T;
}

/** Says `text` through the page's polite live region (screen readers read it once). */
export function announce(text: string): void {
  const region = byId('announcer');
  region.textContent = '';
  // A fresh text node after a tick, so the same message twice is read twice.
  setTimeout(() => (region.textContent = text), 50);
}

/**
 * A value shown this once (a link with its token, a secret): a notice with `label`, the
 * value in a read-only field with a button that copies it (or selects it where the
 * clipboard is refused), and `hint` under them. `noun` names it on the button and in
 * what screen readers hear.
 */
export function shownOnce(options: { id: string; value: string; noun: string; label: string; hint: string; buttonId?: string }): HTMLElement {
  const { id, value, noun, label, hint } = options;
  const input = h('input', { id, type: 'text', readonly: true, value, 'aria-describedby': `${id}-hint` });
  const copy = h('button', { type: 'button', class: 'secondary', ...(options.buttonId ? { id: options.buttonId } : {}) }, `Copy ${noun}`);
  copy.addEventListener('click', async () => {
    await navigator.clipboard.writeText(value).then(
      () => announce(`${noun.charAt(0).toUpperCase()}${noun.slice(1)} copied.`),
      () => {
        input.select();
        announce(`Select and copy the ${noun}.`);
      },
    );
  });
  return h('div', { class: 'notice', role: 'status' }, h('label', { for: id }, label), h('div', { class: 'link-box' }, input, copy), h('p', { class: 'hint', id: `${id}-hint` }, hint));
}

/**
 * What a list's row buttons do: run `what`, say `done` to screen readers and reload the
 * list; a refusal is shown in `status` in words (`explain`).
 */
export function listAction(status: HTMLElement, reload: () => Promise<void>, explain: (error: unknown) => string) {
  return async (what: () => Promise<unknown>, done: string): Promise<void> => {
    try {
      await what();
      announce(done);
      await reload();
    } catch (error) {
      status.className = 'error';
      status.textContent = explain(error);
    }
  };
}

/** A debounced version of `fn`. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): ((...args: A) => void) & { cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const wrapped = (...args: A) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  return Object.assign(wrapped, { cancel: () => clearTimeout(timer) });
}

/** A table cell with the column name for the phone layout (`td::before`). */
export function cell(label: string, ...children: Child[]): HTMLTableCellElement {
  return h('td', { 'data-label': label }, ...children);
}

/** A `<table class="stack">` with a caption, headers and a body to fill. */
export function table(caption: string, headers: (string | Node)[], options: { hiddenCaption?: boolean } = {}) {
  const body = h('tbody');
  const el = h(
    'table',
    { class: 'stack' },
    h('caption', { class: options.hiddenCaption ? 'visually-hidden' : null }, caption),
    h('thead', {}, h('tr', {}, headers.map((header) => h('th', { scope: 'col' }, header)))),
    body,
  );
  return { el, body };
}

/** Shows `message` beside `input` (aria-describedby, aria-invalid), or clears it. */
export function fieldError(input: HTMLElement, message: string | null): void {
  const id = `${input.id}-error`;
  document.getElementById(id)?.remove();
  const described = (input.getAttribute('aria-describedby') ?? '').split(' ').filter((v) => v && v !== id);
  if (message) {
    const note = h('p', { class: 'field-error', id }, message);
    (input.closest('.field') ?? input).insertAdjacentElement('afterend', note);
    input.setAttribute('aria-invalid', 'true');
    described.push(id);
  } else {
    input.removeAttribute('aria-invalid');
  }
  if (described.length) input.setAttribute('aria-describedby', described.join(' '));
  else input.removeAttribute('aria-describedby');
}
