import { useEffect, useId, useState } from 'preact/hooks';
import { MAX_MESSAGE_CHARS, messageLength } from '../../api/chat.js';

/**
 * The message box: Enter sends, Shift+Enter starts a new line, the 4096-character limit
 * is counted as you type. A message the server refused comes back into the box.
 */
export function Composer(props: { disabled: boolean; returned: string | null; onSend: (text: string) => boolean }) {
  const id = useId();
  const [text, setText] = useState('');
  const length = messageLength(text);
  const tooLong = length > MAX_MESSAGE_CHARS;
  const blank = text.trim() === '';

  useEffect(() => {
    if (props.returned !== null) setText((current) => (current === '' ? props.returned! : current));
  }, [props.returned]);

  const submit = (event?: Event) => {
    event?.preventDefault();
    if (props.disabled || blank || tooLong) return;
    if (props.onSend(text)) setText('');
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  };

  return (
    <form class="chat-composer" onSubmit={submit}>
      <label for={id} class="sr-only">
        Message
      </label>
      <textarea
        id={id}
        name="message"
        rows={2}
        placeholder="Write a message (Enter sends, Shift+Enter for a new line)"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={onKeyDown}
        aria-invalid={tooLong ? 'true' : undefined}
        aria-describedby={`${id}-count`}
      />
      <div class="chat-composer-bar">
        <small id={`${id}-count`} class={tooLong ? 'field-error' : 'muted'} aria-live={tooLong ? 'polite' : 'off'}>
          {length} / {MAX_MESSAGE_CHARS}
          {tooLong && ` — ${length - MAX_MESSAGE_CHARS} too many`}
        </small>
        <button type="submit" disabled={props.disabled || blank || tooLong}>
          Send
        </button>
      </div>
    </form>
  );
}
