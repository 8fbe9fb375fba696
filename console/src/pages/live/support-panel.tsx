import { useState } from 'preact/hooks';
import { supportStreamer } from '../../api/live.js';
import { Card, Field, Notice } from '../../ui/components.js';

/** The largest gift the server takes. */
const MAX_GIFT = 1_000_000_000;

/** Follow and gift for one streamer; shows the server's error for anything it refuses. */
export function SupportPanel(props: { sName: string; onTotals: (t: { i_follower: number; i_donate: number }) => void }) {
  const { sName } = props;
  const [following, setFollowing] = useState(false);
  const [amount, setAmount] = useState('');
  const [amountError, setAmountError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function follow() {
    setError(null);
    setBusy(true);
    const r = await supportStreamer(sName, { follow: true });
    setBusy(false);
    if (r.error !== undefined) return setError(r.error);
    setFollowing(true);
    props.onTotals(r.data);
  }

  async function gift(e: Event) {
    e.preventDefault();
    setError(null);
    setSent(null);
    const text = amount.trim();
    const value = Number(text);
    if (!/^\d+$/.test(text) || value <= 0 || value > MAX_GIFT) {
      setAmountError(`Enter a whole number from 1 to ${MAX_GIFT}`);
      return;
    }
    setAmountError(null);
    setBusy(true);
    const r = await supportStreamer(sName, { i_donate: value });
    setBusy(false);
    if (r.error !== undefined) return setError(r.error);
    setSent(`You sent a gift of ${value} to ${sName}.`);
    setAmount('');
    props.onTotals(r.data);
  }

  return (
    <Card title="Support" class="support">
      {error && <Notice kind="error">{error}</Notice>}
      {sent && <Notice kind="success">{sent}</Notice>}
      <button type="button" class={following ? 'secondary' : ''} aria-pressed={following} onClick={() => void follow()} disabled={busy || following}>
        {following ? `Following ${sName}` : `Follow ${sName}`}
      </button>
      <form class="row inline-form gift-form" onSubmit={gift} noValidate aria-label={`Send ${sName} a gift`}>
        <Field
          label="Gift amount"
          inputMode="numeric"
          value={amount}
          onInput={(e) => setAmount(e.currentTarget.value)}
          error={amountError}
          hint="Whole money units"
        />
        <button type="submit" disabled={busy}>
          Send gift
        </button>
      </form>
    </Card>
  );
}
