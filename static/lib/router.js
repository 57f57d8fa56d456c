// Hash routes, each a screen in a file of its own, loaded when first visited. A screen module
// exports `render(ctx, ...params)`; `ctx.root` is where it draws, `ctx.leave(f)` registers what to
// do when the resident leaves it (stop timers), and `ctx.guard(f)` may veto leaving (`f` returns
// true to stay). An optional group of the pattern that did not match is passed as undefined.

export function router(root, table, { onRoute = () => {}, onError }) {
  let leaving = [];
  let guard = null;
  let current = null;
  const go = async () => {
    const hash = location.hash || '#/';
    if (guard && current !== hash && guard(hash)) { history.replaceState(null, '', current); return; }
    guard = null;
    for (const f of leaving.splice(0)) f();
    current = hash;
    for (const [pattern, load] of table) {
      const m = hash.match(pattern);
      if (!m) continue;
      onRoute(hash);
      const ctx = { root, hash, leave: (f) => leaving.push(f), guard: (f) => { guard = f; } };
      try {
        const screen = await load();
        if (current !== hash) return;
        await screen.render(ctx, ...m.slice(1).map(p => (p === undefined ? p : decodeURIComponent(p))));
      } catch (e) {
        if (current === hash) onError(ctx, e);
      }
      return;
    }
    location.hash = '#/';
  };
  addEventListener('hashchange', go);
  return { start: go, again: go };
}
