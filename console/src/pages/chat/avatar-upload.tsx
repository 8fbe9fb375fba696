import { useId, useState } from 'preact/hooks';
import { Notice } from '../../ui/components.js';

const MAX_BYTES = 2 * 1024 * 1024;

/** Checks the file's first bytes as the server does (PNG signature or JPEG SOI), so a wrong file never leaves the browser. */
async function looksLikePicture(file: File): Promise<boolean> {
  const head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((byte, i) => head[i] === byte);
  const jpeg = head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
  return png || jpeg;
}

/** The user's avatar and a file input to change it (PNG or JPEG, at most 2 MiB). */
export function AvatarUpload(props: { avatar: string | null; disabled: boolean; onUpload: (file: File) => Promise<string | null> }) {
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  const onChange = async (event: Event) => {
    const input = event.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    setResult(null);
    if (!/^image\/(png|jpeg)$/.test(file.type) && !/\.(png|jpe?g)$/i.test(file.name)) {
      setResult({ ok: false, text: 'Choose a PNG or JPEG picture.' });
    } else if (!(await looksLikePicture(file))) {
      setResult({ ok: false, text: 'That file is not a PNG or JPEG picture.' });
    } else if (file.size > MAX_BYTES) {
      setResult({ ok: false, text: 'That picture is larger than 2 MiB.' });
    } else {
      setBusy(true);
      const problem = await props.onUpload(file);
      setBusy(false);
      setResult(problem ? { ok: false, text: problem } : { ok: true, text: 'Avatar updated.' });
    }
    input.value = '';
  };

  return (
    <section class="card chat-avatar-card" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Your avatar</h2>
      <div class="chat-avatar-row">
        {props.avatar ? <img class="chat-avatar big" src={props.avatar} alt="Your current avatar" width={56} height={56} /> : <span class="chat-avatar big" />}
        <div>
          <input
            id={id}
            class="sr-only chat-file"
            type="file"
            accept="image/png,image/jpeg,.png,.jpg,.jpeg"
            disabled={props.disabled || busy}
            onChange={(e) => void onChange(e)}
          />
          <label for={id} class="button secondary">
            {busy ? 'Uploading…' : 'Change avatar'}
          </label>
          <small class="muted block">PNG or JPEG, up to 2 MiB</small>
        </div>
      </div>
      {result && <Notice kind={result.ok ? 'success' : 'error'}>{result.text}</Notice>}
    </section>
  );
}
