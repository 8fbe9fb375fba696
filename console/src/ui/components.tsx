import type { ComponentChildren, InputHTMLAttributes } from 'preact';
import { useId } from 'preact/hooks';

/** A labelled input; every form field in the console uses it so labels and errors are announced. */
export function Field(
  props: { label: string; hint?: string; error?: string | null } & InputHTMLAttributes<HTMLInputElement>,
) {
  const { label, hint, error, ...input } = props;
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} aria-invalid={error ? 'true' : undefined} aria-describedby={hint ? `${id}-hint` : undefined} {...input} />
      {hint && (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      )}
      {error && <small class="field-error">{error}</small>}
    </div>
  );
}

/** A message box: `error` is announced at once (role=alert), `info` politely. */
export function Notice(props: { kind?: 'error' | 'info' | 'success' | 'warning'; children: ComponentChildren }) {
  const kind = props.kind ?? 'info';
  return (
    <div class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}

/** A page's heading and optional actions, the same on every page. */
export function PageHeader(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="page-header">
      <h1>{props.title}</h1>
      {props.children && <div class="page-actions">{props.children}</div>}
    </div>
  );
}

/** A titled panel. */
export function Card(props: { title?: string; class?: string; children: ComponentChildren; labelledBy?: string }) {
  const id = useId();
  return (
    <section class={`card ${props.class ?? ''}`} aria-labelledby={props.title ? id : undefined}>
      {props.title && <h2 id={id}>{props.title}</h2>}
      {props.children}
    </section>
  );
}
