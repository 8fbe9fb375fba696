import { isAdmin, session } from '../api/session.js';
import { href } from '../router.js';
import { PageHeader } from '../ui/components.js';
import './home.css';

const SECTIONS = [
  { path: '/chat', title: 'Chat', line: 'Talk with everyone online, see who is here, send pictures.' },
  { path: '/monitor', title: 'Monitor', line: 'Network-function metrics, charts and CPU alerts as they fire.' },
  { path: '/live', title: 'Live', line: 'Go live, watch streams, send gifts and follow streamers.' },
  { path: '/study', title: 'Study', line: 'Track study sessions and see your totals.' },
];

/** What each access level means here, in a few words. */
function levelText(level: number): string {
  if (level >= 9) return 'administrator';
  if (level > 0) return 'extended access';
  return 'standard access';
}

/** The signed-in overview: greeting, level, and one card per part of the console. */
export function HomePage() {
  const user = session.value;
  if (!user) return null;
  const sections = isAdmin() ? [...SECTIONS, { path: '/admin', title: 'Admin', line: 'Users, access levels and pending access requests.' }] : SECTIONS;
  return (
    <>
      <PageHeader title={`Hello, ${user.name}`} />
      <p class="home-level">
        Access level <span class="badge">{user.accessLevel}</span> <span class="muted">({levelText(user.accessLevel)})</span>
      </p>
      <ul class="grid home-cards">
        {sections.map((s) => (
          <li key={s.path} class="card">
            <h2>
              <a href={href(s.path)}>{s.title}</a>
            </h2>
            <p class="muted">{s.line}</p>
          </li>
        ))}
      </ul>
    </>
  );
}
