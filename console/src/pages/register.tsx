import { useRef } from 'preact/hooks';
import { href, navigate, route } from '../router.js';
import { PageHeader } from '../ui/components.js';
import './accounts.css';
import { PhoneForm } from './register/phone-form.js';
import { UsernameForm } from './register/username-form.js';

const TABS = [
  { id: 'username', label: 'Username and e-mail' },
  { id: 'phone', label: 'Phone number' },
] as const;
type TabId = (typeof TABS)[number]['id'];

/** Create an account: with a username and e-mail (web sign-up) or with a phone number and an SMS code. */
export function RegisterPage() {
  const current: TabId = route.value.query.get('tab') === 'phone' ? 'phone' : 'username';
  const tabRefs = useRef<Array<HTMLButtonElement | null>>([]);

  function select(id: TabId, focus = false) {
    navigate(id === 'username' ? '/register' : `/register?tab=${id}`);
    if (focus) queueMicrotask(() => tabRefs.current[TABS.findIndex((t) => t.id === id)]?.focus());
  }

  function onKeyDown(event: KeyboardEvent) {
    const index = TABS.findIndex((t) => t.id === current);
    const moves: Record<string, number> = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: TABS.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const target = (moves[event.key]! + TABS.length) % TABS.length;
    select(TABS[target]!.id, true);
  }

  return (
    <div class="auth-box">
      <PageHeader title="Create an account" />
      <div class="tabs" role="tablist" aria-label="Ways to register" onKeyDown={onKeyDown}>
        {TABS.map((tab, i) => (
          <button
            key={tab.id}
            ref={(el) => void (tabRefs.current[i] = el)}
            type="button"
            role="tab"
            id={`tab-${tab.id}`}
            aria-selected={current === tab.id}
            aria-controls={`panel-${tab.id}`}
            tabIndex={current === tab.id ? 0 : -1}
            onClick={() => select(tab.id)}
          >
            {tab.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${current}`} aria-labelledby={`tab-${current}`}>
        {current === 'username' ? <UsernameForm /> : <PhoneForm />}
      </div>
      <p class="auth-switch">
        Already registered? <a href={href('/signin')}>Sign in</a>
      </p>
    </div>
  );
}
