import type { Surface } from '../core/surface.js';
import { chatSurface } from './chat/index.js';
import { monitorSurface } from './monitor/index.js';
import { studySurface } from './study/index.js';

/** Every client family Stoa serves, in start-up order. */
export const surfaces: readonly Surface[] = [
  chatSurface, // /api/register, /api/login, /api/chat, /avatar/..., TCP 8889, /ws
  studySurface, // /api/v1.0/token, /users/<id>, /studys, /register (HTTP Basic auth)
  monitorSurface, // /nfs/..., /user/signup, /user/login, /user/logout, /user/google-*, Socket.IO
];
