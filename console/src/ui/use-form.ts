import { useState } from 'preact/hooks';
import { NetworkError } from '../api/http.js';

/**
 * What a console form keeps: its field values, one error line and a busy flag, with a
 * submit wrapper that runs one attempt at a time and turns an unreachable server into
 * the error line (`failure` for anything else unexpected).
 */
export function useFormState<T extends Record<string, string>>(initial: T, failure: string) {
  const [form, setForm] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** The onInput handler for one field. */
  const set = (key: keyof T) => (e: { currentTarget: HTMLInputElement }) => setForm((f) => ({ ...f, [key]: e.currentTarget.value }));
  /** True when any field is blank, after trimming. */
  const anyBlank = () => Object.values(form).some((v) => v.trim() === '');
  /** The form's onSubmit: `action` runs unless an attempt is already running. */
  const submitWith = (action: () => Promise<unknown>) => async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setError(null);
    setBusy(true);
    try {
      await action();
    } catch (err) {
      setError(err instanceof NetworkError ? err.message : failure);
    } finally {
      setBusy(false);
    }
  };
  return { form, set, anyBlank, error, setError, busy, submitWith };
}
