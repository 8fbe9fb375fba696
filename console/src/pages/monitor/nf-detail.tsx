import { useEffect, useState } from 'preact/hooks';
import { fetchLatest, fetchStats, NUMERIC_FIELDS, type FieldStats, type NfStats } from '../../api/monitor.js';
import { Card, Notice } from '../../ui/components.js';
import { DataTable } from '../../ui/table.js';
import { NfCharts, rangeWords } from './nf-charts.js';
import { num } from './use-ticker.js';

/** Labels of the measurements, without the seed's `s_` prefix. */
const LABELS: Record<string, string> = {
  s_attemp: 'Attempts', s_cpu: 'CPU %', s_disk: 'Disk', s_diskin: 'Disk in', s_diskout: 'Disk out', s_error: 'Errors',
  s_load: 'Load', s_loss: 'Loss', s_memory: 'Memory', s_size: 'Size', s_system: 'System', s_traffic: 'Traffic', s_transfer: 'Transfer',
};

/** The measurements shown first in the latest-values strip. */
const HEADLINE = ['s_cpu', 's_memory', 's_disk', 's_load', 's_traffic', 's_error'];

/** One row of the stats table; a measurement without samples has no numbers. */
type MeasurementStats = { field: string } & Partial<FieldStats>;

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
      <DataTable
        class="stats"
        caption={stats && `Average, minimum, maximum and last value of each measurement of ${nf}, ${rangeWords(rangeS)}, over ${stats.count} samples`}
        columns={[
          { header: 'Measurement', rowHeader: true, cell: (row) => LABELS[row.field] },
          { header: 'Average', align: 'end', cell: (row) => num(row.avg) },
          { header: 'Min', align: 'end', cell: (row) => num(row.min) },
          { header: 'Max', align: 'end', cell: (row) => num(row.max) },
          { header: 'Last', align: 'end', cell: (row) => num(row.last) },
        ]}
        rows={stats && NUMERIC_FIELDS.map((field): MeasurementStats => ({ field, ...stats.fields[field] }))}
        rowKey={(row) => row.field}
        empty="No measurements to show."
        loading={!stats && !error}
      />
      {stats && <p class="muted">{stats.count} samples</p>}
    </Card>
  );
}
