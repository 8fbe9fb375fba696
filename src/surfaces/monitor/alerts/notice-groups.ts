import type { AlertBody } from './rules.js';

/** What a notice announces: a new firing alert, a reminder of one still firing, or its end. */
export type NoticeKind = 'firing' | 'reminder' | 'resolved';

/**
 * Notices of one rule and one kind from one evaluation, sent together as one message per
 * channel (as Alertmanager groups by alert name): 40 NFs going over the threshold at once
 * make one event and one e-mail, not 40.
 */
export interface NoticeGroup {
  kind: NoticeKind;
  rule: string;
  bodies: AlertBody[];
}

/** Splits notices into groups by (rule, kind), keeping their order. */
export function groupNotices(notices: ReadonlyArray<{ kind: NoticeKind; body: AlertBody }>): NoticeGroup[] {
  const groups = new Map<string, NoticeGroup>();
  for (const { kind, body } of notices) {
    const key = `${body.rule}\u0000${kind}`;
    let group = groups.get(key);
    if (!group) {
      group = { kind, rule: body.rule, bodies: [] };
      groups.set(key, group);
    }
    group.bodies.push(body);
  }
  return [...groups.values()];
}

/** Most NF names a grouped subject line lists before "and N more". */
const SUBJECT_NAMES = 5;

const averagesOf = (body: AlertBody) =>
  Object.entries(body)
    .filter(([key]) => key.startsWith('average_'))
    .map(([key, value]) => `${key}: ${value}`);

/** Subject and text of the one e-mail for a group; a group of one reads as the single-alert mail always did. */
export function groupMail(group: NoticeGroup): { subject: string; text: string } {
  const first = group.bodies[0]!;
  const prefix = group.kind === 'reminder' ? 'Still firing: ' : group.kind === 'resolved' ? 'Resolved: ' : '';
  const names = group.bodies.map((b) => b.s_nf);
  if (names.length === 1) {
    return {
      subject: `[Stoa] ${prefix}${first.message} on ${first.s_nf}`,
      text: [
        `${first.message} on ${first.s_nf}.`,
        '',
        `rule: ${first.rule}`,
        `state: ${first.state}${group.kind === 'reminder' ? ' (reminder)' : ''}`,
        ...averagesOf(first),
        `at: ${first.at}`,
        '',
      ].join('\n'),
    };
  }
  const shown = names.slice(0, SUBJECT_NAMES).join(', ');
  const more = names.length > SUBJECT_NAMES ? ` and ${names.length - SUBJECT_NAMES} more` : '';
  return {
    subject: `[Stoa] ${prefix}${first.message} on ${names.length} NFs: ${shown}${more}`,
    text: [
      `${first.message} on ${names.length} NFs.`,
      '',
      `rule: ${first.rule}`,
      `state: ${first.state}${group.kind === 'reminder' ? ' (reminder)' : ''}`,
      `at: ${first.at}`,
      '',
      ...group.bodies.map((b) => `${b.s_nf}: ${averagesOf(b).join(', ')}`),
      '',
    ].join('\n'),
  };
}

/**
 * The hub and Socket.IO `alert` payload for a group. A group of one is the single-alert
 * body unchanged (monitor.md); a larger group carries the first NF's body, so a client that
 * reads only those keys still shows an alert, plus `count` and `alerts`, every NF's body.
 */
export function groupEvent(group: NoticeGroup): AlertBody & { count?: number; alerts?: AlertBody[] } {
  const first = group.bodies[0]!;
  if (group.bodies.length === 1) return first;
  return { ...first, count: group.bodies.length, alerts: group.bodies };
}
