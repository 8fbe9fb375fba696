import { formatDuration, type StudyStats } from '../../api/study.js';
import { Chart } from '../../ui/chart.js';
import { DataTable } from '../../ui/table.js';

const minutes = (s: number) => Math.round((s / 60) * 10) / 10;

/** Minutes studied per day over the last 30 days: a bar chart, and the same numbers as a table. */
export function StudyDayChart(props: { stats: StudyStats | null }) {
  const { stats } = props;
  return (
    <section class="card study-chart" aria-labelledby="study-chart-h">
      <h2 id="study-chart-h">Last 30 days</h2>
      {!stats ? (
        <p class="muted">Loading…</p>
      ) : (
        <>
          <p class="study-totals">
            <strong>{formatDuration(stats.total_s)}</strong> <span class="muted">in {stats.sessions} session{stats.sessions === 1 ? '' : 's'}</span>
          </p>
          <Chart
            kind="bars"
            label="Minutes studied per day (day of the month, UTC), last 30 days"
            yLabel="Minutes"
            seriesLabel="Minutes"
            labels={stats.by_day.map((d) => String(Number(d.date.slice(8))))}
            values={stats.by_day.map((d) => minutes(d.total_s))}
            height={200}
          />
          <details class="study-numbers">
            <summary>Show the numbers</summary>
            <DataTable
              caption="Time studied per day (UTC dates)"
              columns={[
                { header: 'Day', cell: (day) => day.date },
                { header: 'Time studied', cell: (day) => formatDuration(day.total_s) },
              ]}
              rows={[...stats.by_day].reverse()}
              rowKey={(day) => day.date}
              empty="No days to show."
            />
          </details>
        </>
      )}
    </section>
  );
}
