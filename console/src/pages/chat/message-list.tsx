import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ChatMessage } from '../../api/chat.js';

const NEAR_BOTTOM_PX = 48;

function timeOf(at: Date): string {
  return at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/**
 * The room's messages, oldest first, in a live region. It follows new messages while the
 * reader is at the bottom; once they scroll up it stays put and offers a jump back down.
 */
export function MessageList(props: { messages: ChatMessage[]; me: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [following, setFollowing] = useState(true);
  const [unseen, setUnseen] = useState(0);
  const lastCount = useRef(0);

  useLayoutEffect(() => {
    const el = box.current;
    const added = props.messages.length - lastCount.current;
    lastCount.current = props.messages.length;
    if (!el) return;
    if (following) el.scrollTop = el.scrollHeight;
    else if (added > 0) setUnseen((n) => n + added);
  }, [props.messages]);

  // Pictures load after layout; keep the bottom in view while following.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const onLoad = () => following && (el.scrollTop = el.scrollHeight);
    el.addEventListener('load', onLoad, true);
    return () => el.removeEventListener('load', onLoad, true);
  }, [following]);

  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
    setFollowing(atBottom);
    if (atBottom) setUnseen(0);
  };

  const jump = () => {
    const el = box.current;
    if (el) el.scrollTop = el.scrollHeight;
    setFollowing(true);
    setUnseen(0);
  };

  return (
    <div class="chat-messages-wrap">
      <div ref={box} class="chat-messages" role="log" aria-live="polite" aria-label="Messages" tabIndex={0} onScroll={onScroll}>
        <ol class="chat-list">
        {props.messages.length === 0 && <li class="chat-empty muted">No messages yet. Say hello!</li>}
        {props.messages.map((m) => {
          const mine = m.user === props.me;
          return (
            <li key={m.key} class={`chat-message ${mine ? 'mine' : ''}`} data-user={m.user}>
              <img class="chat-avatar" src={m.avatar} alt="" width={36} height={36} loading="lazy" />
              <div class="chat-bubble">
                <div class="chat-meta">
                  <span class="chat-user">{mine ? `${m.user} (you)` : m.user}</span>
                  <time dateTime={m.at.toISOString()}>{timeOf(m.at)}</time>
                </div>
                <p class="chat-text">{m.message}</p>
              </div>
            </li>
          );
        })}
        </ol>
      </div>
      {!following && unseen > 0 && (
        <button type="button" class="chat-jump" onClick={jump}>
          {unseen} new message{unseen === 1 ? '' : 's'} ↓
        </button>
      )}
    </div>
  );
}
