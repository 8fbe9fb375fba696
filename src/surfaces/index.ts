import type { Surface } from '../core/surface.js';
import { accountsSurface } from './accounts/index.js';
import { chatSurface } from './chat/index.js';
import { liveSurface } from './live/index.js';
import { monitorSurface } from './monitor/index.js';
import { studySurface } from './study/index.js';
import { verifySurface } from './verify/index.js';

/** Every client family Stoa serves, in start-up order. */
export const surfaces: readonly Surface[] = [
  accountsSurface, // web accounts: /user/signup, /user/login, /user/logout, /user/token/*, /user/access-requests, /user/admin/users, /user/google-*
  chatSurface, // /api/register, /api/login, /api/chat, /avatar/..., TCP 8889, /ws
  studySurface, // /api/v1.0/token, /users/<id>, /studys, /register (HTTP Basic auth)
  verifySurface, // /api/v1.0/image_codes, /sms_codes, /users, /session(s); /v1/users/sms/code, /v1/users, /activation, /weibo/*
  monitorSurface, // /nfs/resource, /nfs/nodes, /nfs/alert-rules, /nfs/alerts; alert events on Socket.IO and /ws
  liveSurface, // /user/search, /user/live, /user/money_follow, /user/current_*, /user/watch, /user/end, /user/ueinfo, /user/alert, /user/access_right, live:<s_name>
];
