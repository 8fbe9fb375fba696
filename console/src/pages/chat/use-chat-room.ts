import { useEffect, useRef, useState } from 'preact/hooks';
import { chatHistory, chatToken, toChatMessage, uploadAvatar, type ChatMessage } from '../../api/chat.js';
import { errorMessage, NetworkError } from '../../api/http.js';
import { hub } from '../../api/hub.js';
import { updateSession } from '../../api/session.js';

/** Where the room stands: opening, usable, held by another tab/device, or failed. */
export type ChatPhase = 'opening' | 'ready' | 'busy' | 'failed';

/** What the chat page renders and the actions it offers. */
export interface ChatRoom {
  phase: ChatPhase;
  messages: ChatMessage[];
  online: string[] | null;
  avatar: string | null;
  /** The latest failure worth telling the user (a refused message, a lost connection...). */
  error: string | null;
  /** Text of a message the server refused, handed back to the composer. */
  returned: string | null;
  send(text: string): boolean;
  retry(): void;
  changeAvatar(file: File): Promise<string | null>;
  dismissError(): void;
}

const BUSY = 'Your chat is open in another tab or on another device (one chat connection per account). Close it there, then press Try again.';
const PRESENCE = 'chat:presence';
const HEARTBEAT_MS = 60_000;
const KEEP_MESSAGES = 500;

/**
 * The chat room's connection logic: a chat token (cached in the session), the history,
 * then the shared /ws hub, logged in with the token on every (re)connect, with presence,
 * heartbeats, and a fresh token when the cached one has expired.
 */
export function useChatRoom(): ChatRoom {
  const [phase, setPhase] = useState<ChatPhase>('opening');
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [online, setOnline] = useState<string[] | null>(null);
  const [avatar, setAvatar] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [returned, setReturned] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const token = useRef('');
  const sent = useRef<string[]>([]);

  const loadHistory = async (): Promise<boolean> => {
    let res = await chatHistory(token.current);
    if (res.status === 401) {
      const fresh = await chatToken(true);
      if ('error' in fresh) {
        setPhase(fresh.busy ? 'busy' : 'failed');
        setError(fresh.busy ? BUSY : fresh.error);
        return false;
      }
      token.current = fresh.token;
      setAvatar(fresh.avatar ?? null);
      res = await chatHistory(token.current);
    }
    if (res.ok && Array.isArray(res.body?.messages)) setMessages(res.body.messages.map(toChatMessage));
    else setError(errorMessage(res.body, 'Earlier messages could not be loaded'));
    return true;
  };

  useEffect(() => {
    let closed = false;
    let logins = 0;
    let retriedToken = false;
    const offs: Array<() => void> = [];
    const login = () => hub.send({ type: 'login', token: token.current });

    const onLogin = async (m: any) => {
      if (m.status === 'success') {
        retriedToken = false;
        setPhase('ready');
        setError(null);
        if (typeof m.avatar === 'string') setAvatar(m.avatar);
        hub.send({ type: 'subscribe', topic: PRESENCE });
        if (logins++ > 0) await loadHistory(); // reconnected: catch up on what was missed
      } else if (m.status === 'error_-1') {
        setPhase('busy');
        setError(BUSY);
      } else if (m.status === 'error_It' && !retriedToken) {
        retriedToken = true;
        const fresh = await chatToken(true);
        if (closed) return;
        if ('error' in fresh) {
          setPhase(fresh.busy ? 'busy' : 'failed');
          setError(fresh.busy ? BUSY : fresh.error);
          return;
        }
        token.current = fresh.token;
        login();
      } else {
        setPhase('failed');
        setError(errorMessage(m, 'Could not join the chat'));
      }
    };

    const onChat = (m: any) => {
      if (m.status === undefined && typeof m.user === 'string') {
        setMessages((list) => [...list, toChatMessage(m)].slice(-KEEP_MESSAGES));
        return;
      }
      const text = sent.current.shift();
      if (m.status === 'success') return;
      if (text !== undefined) setReturned(text);
      setError(errorMessage(m, 'The message was not sent'));
      if (m.status === 'error_Nli' || m.status === 'error_It') login();
    };

    const start = async () => {
      try {
        const got = await chatToken();
        if (closed) return;
        if ('error' in got) {
          setPhase(got.busy ? 'busy' : 'failed');
          setError(got.busy ? BUSY : got.error);
          return;
        }
        token.current = got.token;
        setAvatar(got.avatar ?? null);
        if (!(await loadHistory()) || closed) return;
      } catch (err) {
        if (closed) return;
        setPhase('failed');
        setError(err instanceof NetworkError ? err.message : 'Could not open the chat');
        return;
      }
      offs.push(
        hub.on('login', (m) => void onLogin(m)),
        hub.on('chat', onChat),
        hub.on('presence', (m) => m.topic === PRESENCE && Array.isArray(m.online) && setOnline(m.online)),
        hub.on('heartbeat', (m) => m.status === 'error' && login()),
        hub.on('error', (m) => setError(errorMessage(m, 'The chat server reported an error'))),
      );
      hub.connect();
      offs.push(hub.onOpen(login));
    };
    void start();
    const beat = setInterval(() => token.current && hub.send({ type: 'heartbeat', token: token.current }), HEARTBEAT_MS);

    return () => {
      closed = true;
      clearInterval(beat);
      for (const off of offs) off();
      // Leaving the page leaves the room: the account is free for another tab or device.
      hub.disconnect();
    };
  }, [attempt]);

  return {
    phase,
    messages,
    online,
    avatar,
    error,
    returned,
    send(text) {
      if (phase !== 'ready' || !hub.send({ type: 'chat', token: token.current, message: text })) {
        setError('Not connected to the chat right now; your message was not sent. Reconnecting…');
        hub.connect();
        return false;
      }
      sent.current.push(text);
      setReturned(null);
      return true;
    },
    retry() {
      setError(null);
      setPhase('opening');
      setAttempt((n) => n + 1);
    },
    async changeAvatar(file) {
      try {
        const res = await uploadAvatar(token.current, file);
        if (res.ok && typeof res.body?.avatar === 'string') {
          setAvatar(res.body.avatar);
          updateSession({ chatAvatar: res.body.avatar });
          return null;
        }
        return errorMessage(res.body, `The picture was not accepted (HTTP ${res.status})`);
      } catch (err) {
        return err instanceof NetworkError ? err.message : 'The picture could not be uploaded';
      }
    },
    dismissError: () => setError(null),
  };
}
