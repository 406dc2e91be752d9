/** The banner area at the top of the page: warnings (CPU fallback), errors (bad model, failed download), info. */
import { byId, el } from './dom.js';

export type NoticeKind = 'info' | 'warn' | 'error';

export interface NoticeAction {
  label: string;
  run: () => void;
}

/** Shows (or replaces) the notice with this id. */
export function showNotice(id: string, kind: NoticeKind, text: string, action?: NoticeAction): void {
  clearNotice(id);
  const box = el('div', { id: `notice-${id}`, class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-kind': kind, text });
  if (action) {
    const b = el('button', { type: 'button', text: action.label });
    b.addEventListener('click', () => {
      clearNotice(id);
      action.run();
    });
    box.append(b);
  }
  byId('notices').append(box);
}

export function clearNotice(id: string): void {
  document.getElementById(`notice-${id}`)?.remove();
}
