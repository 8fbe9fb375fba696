import { useState } from 'preact/hooks';

const wide = () => typeof matchMedia === 'function' && matchMedia('(min-width: 641px)').matches;

/** Who is in the room now; a disclosure that starts open on wide screens and closed on phones. */
export function PresencePanel(props: { online: string[] | null; me: string }) {
  const [open, setOpen] = useState(wide);
  const count = props.online?.length;
  return (
    <details class="card chat-presence" open={open} onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>
        <h2>Online{count !== undefined && <span class="badge">{count}</span>}</h2>
      </summary>
      {props.online === null ? (
        <p class="muted">Joining…</p>
      ) : (
        <ul class="chat-online" aria-label="People online">
          {props.online.map((name) => (
            <li key={name}>
              <span class="dot on" aria-hidden="true" /> {name}
              {name === props.me && <span class="muted"> (you)</span>}
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}
