import { useEffect, useState } from 'preact/hooks';

/**
 * A counter that goes up every `ms` while the tab is visible (and once more when it comes
 * back), so polling components re-fetch on each change and a hidden tab costs nothing.
 */
export function useTicker(ms: number): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const bump = () => {
      if (!document.hidden) setTick((t) => t + 1);
    };
    const timer = setInterval(bump, ms);
    document.addEventListener('visibilitychange', bump);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', bump);
    };
  }, [ms]);
  return tick;
}

/** "12 s ago", "3 min ago", "2 h ago": how long since an ISO time. */
export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** A time as the reader's local date and time, for tables. */
export function localTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** A number rounded for display (two decimals at most); null shows as a dash. */
export function num(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return String(Math.round(value * 100) / 100);
}
