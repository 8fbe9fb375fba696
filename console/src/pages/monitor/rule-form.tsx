import { useState } from 'preact/hooks';
import { NUMERIC_FIELDS, type AlertRule } from '../../api/monitor.js';
import { Field, Notice } from '../../ui/components.js';

type Draft = Record<'name' | 'field' | 'window_s' | 'threshold' | 'clear_threshold' | 'for_s' | 'repeat_s', string> & { enabled: boolean };
type Errors = Partial<Record<keyof Draft, string>>;

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function draftOf(rule: AlertRule | null): Draft {
  if (!rule) return { name: '', field: 's_cpu', window_s: '60', threshold: '', clear_threshold: '', for_s: '0', repeat_s: '3600', enabled: true };
  return {
    name: rule.name, field: rule.field, window_s: String(rule.window_s), threshold: String(rule.threshold),
    clear_threshold: String(rule.clear_threshold), for_s: String(rule.for_s), repeat_s: String(rule.repeat_s), enabled: rule.enabled,
  };
}

/**
 * Checks what the browser can check (names, number formats, clear below threshold); limits
 * only the server knows (e.g. the largest window) come back as its error message.
 */
function validate(d: Draft): { rule?: AlertRule; errors: Errors } {
  const errors: Errors = {};
  const whole = (k: 'window_s' | 'for_s' | 'repeat_s', min: number) => {
    if (!/^\d+$/.test(d[k].trim()) || Number(d[k]) < min) errors[k] = `Enter a whole number of seconds, ${min} or more`;
    return Number(d[k]);
  };
  const real = (k: 'threshold' | 'clear_threshold') => {
    const v = d[k].trim() === '' ? NaN : Number(d[k]);
    if (!Number.isFinite(v)) errors[k] = 'Enter a number';
    return v;
  };
  if (!NAME.test(d.name)) errors.name = 'Use 1-64 letters, digits, "_", "." or "-"';
  const rule: AlertRule = {
    name: d.name, field: d.field, window_s: whole('window_s', 1), threshold: real('threshold'),
    clear_threshold: real('clear_threshold'), for_s: whole('for_s', 0), repeat_s: whole('repeat_s', 0), enabled: d.enabled,
  };
  if (!errors.threshold && !errors.clear_threshold && !(rule.clear_threshold < rule.threshold)) {
    errors.clear_threshold = 'Must be lower than the threshold (the alert resolves below it)';
  }
  return Object.keys(errors).length ? { errors } : { rule, errors };
}

/** Edits one alert rule (or a new one when `rule` is null); submits with Enter; shows the server's error. */
export function RuleForm(props: { rule: AlertRule | null; onSave: (rule: AlertRule) => Promise<string | null>; onCancel: () => void }) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(props.rule));
  const [errors, setErrors] = useState<Errors>({});
  const [serverError, setServerError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const set = (k: keyof Draft) => (e: Event) => {
    const el = e.currentTarget as HTMLInputElement;
    setDraft({ ...draft, [k]: el.type === 'checkbox' ? el.checked : el.value });
  };

  async function submit(e: Event) {
    e.preventDefault();
    setServerError(null);
    const { rule, errors: found } = validate(draft);
    setErrors(found);
    if (!rule) return;
    setSaving(true);
    const failed = await props.onSave(rule);
    setSaving(false);
    if (failed) setServerError(failed);
  }

  const title = props.rule ? `Edit rule ${props.rule.name}` : 'New rule';
  return (
    <form class="rule-form" onSubmit={submit} aria-label={title} noValidate>
      <h3>{title}</h3>
      {serverError && <Notice kind="error">The rule was not saved: {serverError}</Notice>}
      <div class="row">
        <Field label="Name" value={draft.name} onInput={set('name')} readOnly={props.rule !== null} error={errors.name} required />
        <div class="field">
          <label for="rule-field">Measurement</label>
          <select id="rule-field" value={draft.field} onChange={set('field')}>
            {NUMERIC_FIELDS.map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div class="row">
        <Field label="Threshold" inputMode="decimal" value={draft.threshold} onInput={set('threshold')} error={errors.threshold} hint="Fires when the window average is above this" />
        <Field label="Clear threshold" inputMode="decimal" value={draft.clear_threshold} onInput={set('clear_threshold')} error={errors.clear_threshold} hint="Resolves when the average drops below this" />
      </div>
      <div class="row">
        <Field label="Window (s)" inputMode="numeric" value={draft.window_s} onInput={set('window_s')} error={errors.window_s} />
        <Field label="For (s)" inputMode="numeric" value={draft.for_s} onInput={set('for_s')} error={errors.for_s} hint="How long it must hold before firing" />
        <Field label="Repeat (s)" inputMode="numeric" value={draft.repeat_s} onInput={set('repeat_s')} error={errors.repeat_s} hint="Reminder interval while firing; 0 = never" />
      </div>
      <label class="check">
        <input type="checkbox" checked={draft.enabled} onChange={set('enabled')} /> Enabled
      </label>
      <div class="row form-actions">
        <button type="submit" disabled={saving}>
          {saving ? 'Saving…' : 'Save rule'}
        </button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
