import { noticeText, type AlertNotice } from '../../api/monitor.js';

/** What the banner shows: alerts firing now, and the latest ones that resolved (until dismissed). */
export interface AlertBoard {
  firing: AlertNotice[];
  resolved: AlertNotice[];
}

const key = (n: AlertNotice) => `${n.rule}|${n.s_nf}`;

/** The board after one notice: a firing one replaces its (rule, NF) entry, a resolved one moves it to resolved. */
export function applyNotice(board: AlertBoard, notice: AlertNotice): AlertBoard {
  const others = (list: AlertNotice[]) => list.filter((n) => key(n) !== key(notice));
  return notice.state === 'firing'
    ? { firing: [notice, ...others(board.firing)], resolved: others(board.resolved) }
    : { firing: others(board.firing), resolved: [notice, ...others(board.resolved)].slice(0, 5) };
}

/** The board implied by the history (newest first): a (rule, NF) whose newest notice is firing is firing now. */
export function boardFromHistory(history: AlertNotice[]): AlertBoard {
  const seen = new Set<string>();
  const firing: AlertNotice[] = [];
  for (const n of history) {
    if (seen.has(key(n))) continue;
    seen.add(key(n));
    if (n.state === 'firing') firing.push(n);
  }
  return { firing, resolved: [] };
}

/**
 * The alert banner at the top of the monitor: an assertive live region (role=alert) that
 * lists what is firing, and a polite one for alerts that went back to normal. Both regions
 * are always in the page, so screen readers announce what is added to them.
 */
export function AlertBanner(props: { board: AlertBoard; onDismiss: (notice: AlertNotice) => void; pushConnected: boolean }) {
  const { board, onDismiss, pushConnected } = props;
  return (
    <div class="alert-banner">
      <div role="alert" class={board.firing.length ? 'firing-region' : undefined}>
        {board.firing.map((n) => (
          <div class="notice notice-error alert-firing" key={key(n)}>
            <strong>{noticeText(n)}</strong>{' '}
            <span class="muted-on-alert">
              since {new Date(n.at).toLocaleTimeString()} (rule {n.rule})
            </span>
          </div>
        ))}
      </div>
      <div role="status">
        {board.resolved.map((n) => (
          <div class="notice notice-success alert-resolved" key={key(n)}>
            <span>
              Resolved: {noticeText(n)} at {new Date(n.at).toLocaleTimeString()}
            </span>
            <button type="button" class="link" onClick={() => onDismiss(n)} aria-label={`Dismiss: ${noticeText(n)}`}>
              Dismiss
            </button>
          </div>
        ))}
      </div>
      {!pushConnected && <p class="muted push-state">Connecting to live alerts…</p>}
    </div>
  );
}
