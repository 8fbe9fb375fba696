import { route } from '../router.js';
import { StreamList } from './live/stream-list.js';
import { Studio } from './live/studio.js';
import { Viewer } from './live/viewer.js';
import './live.css';

/** `#/live` (streams and search), `#/live/studio` (your own stream) and `#/live/<s_name>` (watching). */
export function LivePage() {
  const segment = route.value.path.split('/')[2];
  if (!segment) return <StreamList />;
  if (segment === 'studio') return <Studio />;
  const name = decodeURIComponent(segment);
  return <Viewer key={name} sName={name} />;
}
