import { session } from '../api/session.js';
import { Notice, PageHeader } from '../ui/components.js';
import { AvatarUpload } from './chat/avatar-upload.js';
import { Composer } from './chat/composer.js';
import { MessageList } from './chat/message-list.js';
import { PresencePanel } from './chat/presence-panel.js';
import { useChatRoom, type ChatPhase } from './chat/use-chat-room.js';
import './chat.css';

const PHASE_TEXT: Record<ChatPhase, string> = {
  opening: 'Joining…',
  ready: 'Connected',
  busy: 'Open elsewhere',
  failed: 'Not connected',
};

/**
 * The chat room every client family shares: history, live messages over /ws, who is
 * online, and the user's avatar. Messages sent here reach TCP and Socket.IO clients too.
 */
export function ChatPage() {
  const room = useChatRoom();
  const me = session.value?.name ?? '';
  return (
    <div class="chat-page">
      <PageHeader title="Chat">
        <span class={`badge ${room.phase === 'ready' ? 'good' : room.phase === 'opening' ? '' : 'bad'}`} role="status">
          {PHASE_TEXT[room.phase]}
        </span>
      </PageHeader>
      {room.error && (
        <Notice kind={room.phase === 'busy' ? 'warning' : 'error'}>
          <span>{room.error}</span>{' '}
          {room.phase === 'busy' || room.phase === 'failed' ? (
            <button type="button" class="secondary" onClick={room.retry}>
              Try again
            </button>
          ) : (
            <button type="button" class="link" onClick={room.dismissError}>
              Dismiss
            </button>
          )}
        </Notice>
      )}
      <div class="chat-layout">
        <section class="card chat-room" aria-label="Chat room">
          <MessageList messages={room.messages} me={me} />
          <Composer disabled={room.phase !== 'ready'} returned={room.returned} onSend={room.send} />
        </section>
        <aside class="chat-side">
          <PresencePanel online={room.online} me={me} />
          <AvatarUpload avatar={room.avatar} disabled={room.phase === 'opening' && !room.avatar} onUpload={room.changeAvatar} />
        </aside>
      </div>
    </div>
  );
}
