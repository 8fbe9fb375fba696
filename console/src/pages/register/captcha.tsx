/** A fresh captcha id (the server accepts 1-64 of `[A-Za-z0-9-]`); getRandomValues works on plain-http hosts too. */
export function newCaptchaId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The image captcha with a button for a new picture; the image itself is also a button for pointer users. */
export function Captcha(props: { id: string; onRefresh: () => void }) {
  return (
    <div class="captcha">
      <img
        src={`/api/v1.0/image_codes/${props.id}`}
        alt="Captcha: type the four characters shown"
        width={130}
        height={48}
        onClick={props.onRefresh}
      />
      <button type="button" class="link" onClick={props.onRefresh}>
        New picture
      </button>
    </div>
  );
}
