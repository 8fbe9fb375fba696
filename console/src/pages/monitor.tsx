import { useEffect, useState } from 'preact/hooks';
import { fetchAlerts, fetchNodes, listenForAlerts, type AlertNotice, type NfNode } from '../api/monitor.js';
import { route } from '../router.js';
import { PageHeader } from '../ui/components.js';
import { AlertBanner, applyNotice, boardFromHistory, type AlertBoard } from './monitor/alert-banner.js';
import { AlertHistory } from './monitor/alert-history.js';
import { AlertRules } from './monitor/alert-rules.js';
import { NfDetail } from './monitor/nf-detail.js';
import { NfList } from './monitor/nf-list.js';
import { useTicker } from './monitor/use-ticker.js';
import './monitor.css';

/** How often the page asks for new samples (log clients send one every 10 s). */
const POLL_MS = 3000;

/** The chart and stats ranges on offer, in seconds. */
const RANGES: Array<[number, string]> = [
  [900, '15 minutes'],
  [3600, '1 hour'],
  [6 * 3600, '6 hours'],
  [24 * 3600, '24 hours'],
];

/**
 * `#/monitor` and `#/monitor/<nf>`: the NF list, the chosen NF's latest values, live CPU and
 * memory charts and stats, the alert banner fed by Socket.IO `alert` events, the alert
 * history, and the alert rules (editable by admins).
 */
export function MonitorPage() {
  const segment = route.value.path.split('/')[2];
  const chosen = segment ? decodeURIComponent(segment) : null;
  const [rangeS, setRangeS] = useState(900);
  const tick = useTicker(POLL_MS);
  const [nodes, setNodes] = useState<NfNode[] | null>(null);
  const [nodesError, setNodesError] = useState<string | null>(null);
  const [history, setHistory] = useState<AlertNotice[] | null>(null);
  const [historyError, setHistoryError] = useState<string | null>(null);
  const [board, setBoard] = useState<AlertBoard>({ firing: [], resolved: [] });
  const [pushConnected, setPushConnected] = useState(false);

  useEffect(() => {
    void fetchNodes().then((r) => {
      setNodesError(r.error ?? null);
      if (r.data) setNodes(r.data);
    });
  }, [tick]);

  const loadHistory = async (seedBoard: boolean) => {
    const r = await fetchAlerts(20);
    setHistoryError(r.error ?? null);
    if (!r.data) return;
    setHistory(r.data);
    if (seedBoard) setBoard(boardFromHistory(r.data));
  };

  // What fired before the page opened comes from the history; later notices are pushed.
  useEffect(() => {
    void loadHistory(true);
    return listenForAlerts((notice) => {
      setBoard((b) => applyNotice(b, notice));
      void loadHistory(false);
    }, setPushConnected);
  }, []);

  const selected = chosen ?? nodes?.[0]?.s_nf ?? null;
  return (
    <>
      <PageHeader title="Monitor">
        <label class="range-pick">
          Range{' '}
          <select value={rangeS} onChange={(e) => setRangeS(Number((e.currentTarget as HTMLSelectElement).value))}>
            {RANGES.map(([s, words]) => (
              <option key={s} value={s}>
                {words}
              </option>
            ))}
          </select>
        </label>
      </PageHeader>
      <AlertBanner
        board={board}
        pushConnected={pushConnected}
        onDismiss={(n) => setBoard((b) => ({ ...b, resolved: b.resolved.filter((r) => r !== n) }))}
      />
      <div class="monitor-layout">
        <NfList nodes={nodes} selected={selected} error={nodesError} />
        {selected && <NfDetail nf={selected} rangeS={rangeS} tick={tick} />}
      </div>
      <AlertHistory history={history} error={historyError} />
      <AlertRules />
    </>
  );
}
