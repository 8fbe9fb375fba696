import { Chart } from '../../ui/chart.js';
import { Notice } from '../../ui/components.js';
import { useNfSeries } from './use-nf-series.js';

/** Words for a chart range, e.g. "last 15 minutes". */
export function rangeWords(rangeS: number): string {
  return rangeS < 3600 ? `last ${rangeS / 60} minutes` : `last ${rangeS / 3600} hour${rangeS === 3600 ? '' : 's'}`;
}

/** CPU and memory charts of one NF, appended to as samples arrive. */
export function NfCharts(props: { nf: string; rangeS: number; tick: number }) {
  const { nf, rangeS, tick } = props;
  const { series, error } = useNfSeries(nf, rangeS, tick);
  const when = rangeWords(rangeS);
  const lastCpu = series.cpuAvg.at(-1);
  return (
    <div class="nf-charts">
      {error && <Notice kind="error">Could not load the chart data: {error}</Notice>}
      <div class="chart-box">
        <h3>CPU</h3>
        <Chart
          kind="lines"
          label={`CPU of ${nf}, ${when}: ${series.x.length} points${lastCpu != null ? `, latest average ${Math.round(lastCpu * 10) / 10}%` : ''}`}
          yLabel="CPU %"
          x={series.x}
          spanS={rangeS}
          series={[
            { label: 'Average', values: series.cpuAvg },
            { label: 'Peak', values: series.cpuMax, color: '#e5484d' },
          ]}
          height={200}
        />
      </div>
      <div class="chart-box">
        <h3>Memory</h3>
        <Chart
          kind="lines"
          label={`Memory of ${nf}, ${when}: ${series.x.length} points`}
          yLabel="Memory"
          x={series.x}
          spanS={rangeS}
          series={[
            { label: 'Average', values: series.memAvg, color: '#12a150' },
            { label: 'Peak', values: series.memMax, color: '#e0900b' },
          ]}
          height={200}
        />
      </div>
      {series.x.length === 0 && !error && <p class="muted">No samples in the {when}.</p>}
    </div>
  );
}
