import { noticeValue, type AlertNotice } from '../../api/monitor.js';
import { Card, Notice } from '../../ui/components.js';
import { localTime, num } from './use-ticker.js';

/** The newest alert notices (firing, reminders, resolved), newest first. */
export function AlertHistory(props: { history: AlertNotice[] | null; error: string | null }) {
  const { history, error } = props;
  return (
    <Card title="Alert history" class="alert-history">
      {error && <Notice kind="error">Could not load the alert history: {error}</Notice>}
      {history && history.length === 0 && <p class="muted">No alert has fired yet.</p>}
      {history && history.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">NF</th>
                <th scope="col">State</th>
                <th scope="col">Message</th>
                <th scope="col">Value</th>
                <th scope="col">Rule</th>
              </tr>
            </thead>
            <tbody>
              {history.map((n, i) => (
                <tr key={n.id ?? `${n.at}-${i}`}>
                  <td>
                    <time dateTime={n.at}>{localTime(n.at)}</time>
                  </td>
                  <td>{n.s_nf}</td>
                  <td>
                    <span class={`badge ${n.state === 'firing' ? 'bad' : 'good'}`}>{n.reminder ? 'reminder' : n.state}</span>
                  </td>
                  <td>{n.message}</td>
                  <td>{num(noticeValue(n)?.value)}</td>
                  <td>{n.rule}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
