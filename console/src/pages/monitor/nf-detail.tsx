import { useEffect, useState } from 'preact/hooks';
import { fetchLatest, fetchStats, NUMERIC_FIELDS, type NfStats } from '../../api/monitor.js';
import { Card, Notice } from '../../ui/components.js';
import { NfCharts, rangeWords } from './nf-charts.js';
import { num } from './use-ticker.js';

/** Labels of the measurements, without the seed's `s_` prefix. */
const LABELS: Record<string, string> = {
  s_attemp: 'Attempts', s_cpu: 'CPU %', s_disk: 'Disk', s_diskin: 'Disk in', s_diskout: 'Disk out', s_error: 'Errors',
  s_load: 'Load', s_loss: 'Loss', s_memory: 'Memory', s_size: 'Size', s_system: 'System', s_traffic: 'Traffic', s_transfer: 'Transfer',
};

/** The measurements shown first in the latest-values strip. */
const HEADLINE = ['s_cpu', 's_memory', 's_disk', 's_load', 's_traffic', 's_error'];

/** One NF: its newest sample, CPU and memory charts, and stats over the chosen range. */
export function NfDetail(props: { nf: string; rangeS: number; tick: number }) {
  const { nf, rangeS, tick } = props;
  const [latest, setLatest] = useState<Record<string, string | number> | null>(null);
  const [stats, setStats] = useState<NfStats | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setLatest(null);
    setStats(null);
    setError(null);
  }, [nf, rangeS]);

  useEffect(() => {
    let current = true;
    void Promise.all([fetchLatest(nf), fetchStats(nf, rangeS)]).then(([l, s]) => {
      if (!current) return;
      setError(l.error ?? s.error ?? null);
      if (l.data) setLatest(l.data);
      if (s.data) setStats(s.data);
    });
    return () => {
      current = false;
    };
  }, [nf, rangeS, tick]);

  return (
    <Card title={`${nf}`} class="nf-detail">
      {error && <Notice kind="error">{error}</Notice>}
      {latest && (
        <>
          <p class="muted latest-when">Latest sample, sent at {String(latest.dt_infotime ?? '—')}</p>
          <dl class="latest">
            {HEADLINE.map((k) => (
              <div key={k}>
                <dt>{LABELS[k]}</dt>
                <dd data-field={k}>{latest[k] === '' || latest[k] === undefined ? '—' : String(latest[k])}</dd>
              </div>
            ))}
          </dl>
        </>
      )}
      <NfCharts nf={nf} rangeS={rangeS} tick={tick} />
      <h3>Stats, {rangeWords(rangeS)}</h3>
      {stats ? (
        <div class="table-wrap">
          <table class="stats">
            <caption class="sr-only">
              Average, minimum, maximum and last value of each measurement of {nf}, {rangeWords(rangeS)}, over {stats.count} samples
            </caption>
            <thead>
              <tr>
                <th scope="col">Measurement</th>
                <th scope="col">Average</th>
                <th scope="col">Min</th>
                <th scope="col">Max</th>
                <th scope="col">Last</th>
              </tr>
            </thead>
            <tbody>
              {NUMERIC_FIELDS.map((f) => {
                const s = stats.fields[f];
                return (
                  <tr key={f}>
                    <th scope="row">{LABELS[f]}</th>
                    <td>{num(s?.avg)}</td>
                    <td>{num(s?.min)}</td>
                    <td>{num(s?.max)}</td>
                    <td>{num(s?.last)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p class="muted">{stats.count} samples</p>
        </div>
      ) : (
        !error && <p class="muted">Loading…</p>
      )}
    </Card>
  );
}
