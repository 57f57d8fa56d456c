// Building the page. Text always goes in as text (textContent), never as markup, so nothing a user
// typed can run as code; styles come only from the stylesheets (classes), because the server's
// Content-Security-Policy refuses inline style attributes.

/** An element: h('button', { class: 'wide', onclick: f, 'aria-pressed': true }, '文字', child). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'style') throw new Error('inline styles are blocked by the CSP: use a class');
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces what `root` shows. */
export function show(root, ...nodes) {
  root.replaceChildren();
  append(root, nodes);
}

/** A message box; `kind` is 'error', 'notice' or 'ok'. */
export function box(kind, ...text) {
  return h('div', { class: kind, role: kind === 'error' ? 'alert' : 'status' }, ...text);
}

/** Sets a progress bar's fill without an inline style (CSSOM, which the policy allows). */
export function setProgress(bar, fraction) {
  bar.style.setProperty('--fill', `${Math.round(Math.max(0, Math.min(1, fraction)) * 100)}%`);
}
