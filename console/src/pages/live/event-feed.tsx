import type { FeedItem } from './use-live-topic.js';

/** A stream's activity, newest first, announced politely as it arrives (role=log). */
export function EventFeed(props: { items: FeedItem[]; label: string; empty: string }) {
  return (
    <div class="live-feed" role="log" aria-live="polite" aria-label={props.label}>
      <ol>
        {props.items.map((item) => (
          <li key={item.id} class={`feed-${item.kind}`}>
            <span class="feed-icon" aria-hidden="true">
              {item.kind === 'gift' ? '◆' : item.kind === 'follow' ? '★' : '!'}
            </span>
            <span class="feed-text">{item.text}</span>
            <time dateTime={item.at.toISOString()}>{item.at.toLocaleTimeString()}</time>
          </li>
        ))}
      </ol>
      {props.items.length === 0 && <p class="muted">{props.empty}</p>}
    </div>
  );
}

/** A row of labelled numbers (viewers, gifts, ...), each value marked for tests and screen readers. */
export function StatRow(props: { stats: Array<[label: string, value: string | number, key: string]> }) {
  return (
    <dl class="live-stats">
      {props.stats.map(([label, value, key]) => (
        <div key={key}>
          <dt>{label}</dt>
          <dd data-stat={key}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
