import { signal } from '@preact/signals';

/** A parsed console location: `#/live/alice?x=1` -> path `/live/alice`, query {x: '1'}. */
export interface Route {
  path: string;
  query: URLSearchParams;
}

function parse(): Route {
  // `/activate?code=...` and `/oauth/<provider>?code=...` are real paths (links from
  // e-mails and OAuth providers); everything else lives in the hash.
  if (location.pathname !== '/' && location.pathname !== '/index.html') {
    return { path: location.pathname, query: new URLSearchParams(location.search) };
  }
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, search] = hash.split('?', 2);
  return { path: path || '/', query: new URLSearchParams(search ?? '') };
}

/** The current route; pages re-render when it changes. */
export const route = signal<Route>(parse());

window.addEventListener('hashchange', () => {
  route.value = parse();
});
window.addEventListener('popstate', () => {
  route.value = parse();
});

/** Goes to a console page (`navigate('/chat')`), leaving any real path behind. */
export function navigate(path: string): void {
  if (location.pathname !== '/') {
    history.replaceState(null, '', `/#${path}`);
    route.value = parse();
  } else {
    location.hash = path;
  }
}

/** The href for a console page, for links. */
export function href(path: string): string {
  return `/#${path}`;
}
