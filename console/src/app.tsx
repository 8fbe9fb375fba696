import type { ComponentType } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { signOut, watchWebSession } from './api/accounts.js';
import { hubConnected } from './api/hub.js';
import { isAdmin, session } from './api/session.js';
import { ActivatePage } from './pages/activate.js';
import { AdminPage } from './pages/admin.js';
import { ChatPage } from './pages/chat.js';
import { HomePage } from './pages/home.js';
import { LivePage } from './pages/live.js';
import { MonitorPage } from './pages/monitor.js';
import { OAuthReturnPage } from './pages/oauth-return.js';
import { NotFoundPage } from './pages/placeholder.js';
import { RegisterPage } from './pages/register.js';
import { SignInPage } from './pages/signin.js';
import { StudyPage } from './pages/study.js';
import { route, href, navigate } from './router.js';

interface PageEntry {
  /** First path segment, e.g. `/live` matches `/live` and `/live/alice`. */
  prefix: string;
  page: ComponentType;
  /** Pages that need a signed-in user send others to sign-in. */
  signedIn: boolean;
  /** In the top navigation, with this label. */
  nav?: string;
  adminOnly?: boolean;
}

/** Every console page: this table is the index of the console. */
const PAGES: PageEntry[] = [
  { prefix: '/signin', page: SignInPage, signedIn: false },
  { prefix: '/register', page: RegisterPage, signedIn: false },
  { prefix: '/activate', page: ActivatePage, signedIn: false },
  { prefix: '/oauth', page: OAuthReturnPage, signedIn: false },
  { prefix: '/chat', page: ChatPage, signedIn: true, nav: 'Chat' },
  { prefix: '/monitor', page: MonitorPage, signedIn: true, nav: 'Monitor' },
  { prefix: '/live', page: LivePage, signedIn: true, nav: 'Live' },
  { prefix: '/study', page: StudyPage, signedIn: true, nav: 'Study' },
  { prefix: '/admin', page: AdminPage, signedIn: true, nav: 'Admin', adminOnly: true },
  { prefix: '/', page: HomePage, signedIn: true },
];

function findPage(path: string): PageEntry | null {
  const first = `/${path.split('/')[1] ?? ''}`;
  return PAGES.find((p) => p.prefix === first) ?? null;
}

// Refreshes the 300 s web JWT while the tab is open; a 401 to it returns to sign-in.
watchWebSession();

/** The skip link moves focus without touching the hash, which holds the route. */
function skipToContent(event: Event): void {
  event.preventDefault();
  document.getElementById('content')?.focus();
}

function Header() {
  const current = route.value.path;
  const user = session.value;
  return (
    <header class="top">
      <a class="skip" href="#content" onClick={skipToContent}>
        Skip to content
      </a>
      <a class="brand" href={href('/')}>
        Stoa
      </a>
      {user && (
        <nav aria-label="Main">
          <ul>
            {PAGES.filter((p) => p.nav && (!p.adminOnly || isAdmin())).map((p) => (
              <li key={p.prefix}>
                <a href={href(p.prefix)} aria-current={findPage(current)?.prefix === p.prefix ? 'page' : undefined}>
                  {p.nav}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <div class="who">
        {user ? (
          <>
            <span class={`dot ${hubConnected.value ? 'on' : ''}`} title={hubConnected.value ? 'Live updates connected' : 'Live updates offline'} />
            <span class="user-name">{user.name}</span>
            <button type="button" class="link" onClick={() => void signOut()}>
              Sign out
            </button>
          </>
        ) : (
          <a href={href('/signin')}>Sign in</a>
        )}
      </div>
    </header>
  );
}

/**
 * After moving to another page, focus goes to the page's content (as a full page load
 * would put a keyboard or screen-reader user at its start) and the tab title follows.
 */
function useFocusOnNavigation(path: string, title: string | null): void {
  const first = useRef(true);
  useEffect(() => {
    document.title = title ? `${title} · Stoa` : 'Stoa console';
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById('content')?.focus({ preventScroll: false });
  }, [path]);
}

/** The console shell: header, then the page the route names. */
export function App() {
  const { path } = route.value;
  const entry = findPage(path);
  let Page: ComponentType = entry?.page ?? NotFoundPage;
  if (entry?.signedIn && !session.value) {
    queueMicrotask(() => navigate(`/signin?next=${encodeURIComponent(path)}`));
    Page = SignInPage;
  } else if (entry?.adminOnly && !isAdmin()) {
    Page = NotFoundPage;
  }
  useFocusOnNavigation(path, entry?.nav ?? null);
  return (
    <>
      <Header />
      <main id="content" tabIndex={-1}>
        <Page />
      </main>
    </>
  );
}
