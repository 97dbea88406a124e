// Click and keyboard behaviour shared by the lists of sessions (sessions panel, health view):
// a click on a row picks its session; ArrowUp/ArrowDown move a focus mark, Enter picks it.
// `view` has `list` (objects with `id`), `active`, `focus`, `onPick(id)` and `render()`.

export function bindPickList(root, rowSelector, view) {
  root.addEventListener('click', ev => {
    const row = ev.target.closest(rowSelector);
    if (row) view.onPick(Number(row.dataset.id));
  });
  root.addEventListener('keydown', ev => {
    if (!view.list.length || !['ArrowDown', 'ArrowUp', 'Enter'].includes(ev.key)) return;
    ev.preventDefault();
    ev.stopPropagation();
    const ids = view.list.map(s => s.id);
    let i = ids.indexOf(view.focus ?? view.active);
    if (ev.key === 'Enter') { if (i >= 0) view.onPick(ids[i]); return; }
    i = ev.key === 'ArrowDown' ? Math.min(ids.length - 1, i + 1) : Math.max(0, i - 1);
    view.focus = ids[i];
    view.render();
    root.querySelector(`[data-id="${ids[i]}"]`)?.scrollIntoView({ block: 'nearest' });
  });
}
