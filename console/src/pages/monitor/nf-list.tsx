import type { NfNode } from '../../api/monitor.js';
import { href } from '../../router.js';
import { Card, Notice } from '../../ui/components.js';
import { ago } from './use-ticker.js';

/** The NFs that report samples: each a link that selects it, with when it last reported and a stale badge. */
export function NfList(props: { nodes: NfNode[] | null; selected: string | null; error: string | null }) {
  const { nodes, selected, error } = props;
  return (
    <Card title="Network functions" class="nf-list">
      {error && <Notice kind="error">Could not load the NF list: {error}</Notice>}
      {nodes === null && !error && <p class="muted">Loading…</p>}
      {nodes && nodes.length === 0 && <p class="muted">No NF has sent a sample yet. Log clients POST to /nfs/resource.</p>}
      {nodes && nodes.length > 0 && (
        <ul>
          {nodes.map((n) => (
            <li key={n.s_nf}>
              <a href={href(`/monitor/${encodeURIComponent(n.s_nf)}`)} aria-current={n.s_nf === selected ? 'true' : undefined}>
                <span class="nf-name">{n.s_nf}</span>
                <span class="nf-meta">
                  <time dateTime={n.last_received_at} title={new Date(n.last_received_at).toLocaleString()}>
                    {ago(n.last_received_at)}
                  </time>
                  {n.stale ? <span class="badge bad">stale</span> : <span class="badge good">reporting</span>}
                </span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
