import { useEffect, useState } from 'preact/hooks';
import { fetchRules, saveRules, type AlertRule } from '../../api/monitor.js';
import { isAdmin } from '../../api/session.js';
import { Card, Notice } from '../../ui/components.js';
import { DataTable } from '../../ui/table.js';
import { RuleForm } from './rule-form.js';

/** The alert rules: a table for everyone, editing and new rules for admins (`PUT /nfs/alert-rules`). */
export function AlertRules() {
  const [rules, setRules] = useState<AlertRule[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<AlertRule | 'new' | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const admin = isAdmin();

  useEffect(() => {
    void fetchRules().then((r) => (r.error ? setError(r.error) : setRules(r.data!)));
  }, []);

  async function save(rule: AlertRule): Promise<string | null> {
    const r = await saveRules([rule]);
    if (r.error) return r.error;
    setRules(r.data!);
    setEditing(null);
    setSaved(`Rule ${rule.name} saved.`);
    return null;
  }

  return (
    <Card title="Alert rules" class="alert-rules">
      {error && <Notice kind="error">Could not load the alert rules: {error}</Notice>}
      {saved && <Notice kind="success">{saved}</Notice>}
      <DataTable
        caption="Alert rules"
        columns={[
          { header: 'Rule', cell: (r) => r.name },
          { header: 'Condition', cell: (r) => `avg ${r.field} over ${r.window_s} s > ${r.threshold} (clears below ${r.clear_threshold})` },
          { header: 'For / repeat', cell: (r) => `${r.for_s} s / ${r.repeat_s} s` },
          { header: 'State', cell: (r) => (r.enabled ? <span class="badge good">enabled</span> : <span class="badge">disabled</span>) },
          admin && {
            header: 'Actions',
            headerHidden: true,
            cell: (r) => (
              <button type="button" class="secondary" onClick={() => (setSaved(null), setEditing(r))} aria-label={`Edit rule ${r.name}`}>
                Edit
              </button>
            ),
          },
        ]}
        rows={rules}
        rowKey={(r) => r.name}
        empty="No alert rules yet."
      />
      {admin && rules && editing === null && (
        <button type="button" class="secondary" onClick={() => (setSaved(null), setEditing('new'))}>
          New rule
        </button>
      )}
      {admin && editing !== null && (
        <RuleForm
          key={editing === 'new' ? 'new' : editing.name}
          rule={editing === 'new' ? null : editing}
          onSave={save}
          onCancel={() => setEditing(null)}
        />
      )}
      {!admin && rules && <p class="muted">Only admins can change rules.</p>}
    </Card>
  );
}
