import { noticeValue, type AlertNotice } from '../../api/monitor.js';
import { Card, Notice } from '../../ui/components.js';
import { DataTable } from '../../ui/table.js';
import { localTime, num } from './use-ticker.js';

/** The newest alert notices (firing, reminders, resolved), newest first. */
export function AlertHistory(props: { history: AlertNotice[] | null; error: string | null }) {
  const { history, error } = props;
  return (
    <Card title="Alert history" class="alert-history">
      {error && <Notice kind="error">Could not load the alert history: {error}</Notice>}
      <DataTable
        caption="Alert notices, newest first"
        columns={[
          { header: 'Time', cell: (n) => <time dateTime={n.at}>{localTime(n.at)}</time> },
          { header: 'NF', cell: (n) => n.s_nf },
          { header: 'State', cell: (n) => <span class={`badge ${n.state === 'firing' ? 'bad' : 'good'}`}>{n.reminder ? 'reminder' : n.state}</span> },
          { header: 'Message', cell: (n) => n.message },
          { header: 'Value', cell: (n) => num(noticeValue(n)?.value) },
          { header: 'Rule', cell: (n) => n.rule },
        ]}
        rows={history}
        rowKey={(n, index) => n.id ?? `${n.at}-${index}`}
        empty="No alert has fired yet."
      />
    </Card>
  );
}
