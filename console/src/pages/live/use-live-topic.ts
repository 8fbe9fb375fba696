import { useEffect, useRef, useState } from 'preact/hooks';
import { hub } from '../../api/hub.js';
import type { LiveEvent } from '../../api/live.js';

/** One line of a stream's activity feed. */
export interface FeedItem {
  id: number;
  at: Date;
  kind: 'gift' | 'follow' | 'alert';
  text: string;
}

let nextId = 1;

/** The feed line for an event, or null for events that only change numbers (viewers). */
function feedItem(event: LiveEvent): FeedItem | null {
  const base = { id: nextId++, at: new Date() };
  if (event.type === 'gift') return { ...base, kind: 'gift', text: `${event.from} sent a gift of ${event.amount}` };
  if (event.type === 'follow') return { ...base, kind: 'follow', text: `${event.from} started following` };
  if (event.type === 'alert') return { ...base, kind: 'alert', text: event.message };
  return null;
}

/**
 * Listens to the hub topic `live:<s_name>` while the component is mounted: every event goes
 * to `onEvent`, and gifts, follows and alerts also become feed lines (newest first, 50 kept).
 */
export function useLiveTopic(sName: string, onEvent: (event: LiveEvent) => void): FeedItem[] {
  const [feed, setFeed] = useState<FeedItem[]>([]);
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    setFeed([]);
    return hub.subscribe(`live:${sName}`, (message: LiveEvent) => {
      handler.current(message);
      const item = feedItem(message);
      if (item) setFeed((items) => [item, ...items].slice(0, 50));
    });
  }, [sName]);
  return feed;
}

/** Runs `fn` every `ms` while mounted (and `enabled`), and once at once when `immediately`. */
export function useEvery(ms: number, enabled: boolean, fn: () => void, immediately = false): void {
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => {
    if (!enabled) return;
    if (immediately) latest.current();
    const timer = setInterval(() => latest.current(), ms);
    return () => clearInterval(timer);
  }, [ms, enabled]);
}
