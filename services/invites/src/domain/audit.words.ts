import { templateLanguageNames, templateLocales, type TemplateLocale } from '@invite/contracts';

/**
 * Audit entries as sentences for people ("Olivia Owner invited gina@example.com as
 * admin"), from the entry and what the listing looked up about its actor and target.
 * An action without words of its own is still a sentence: "Olivia Owner: webhook.tested".
 */
export interface AuditFacts {
  action: string;
  actor: string;
  /** The acting user's name (or email), when a user acted and still has an account. */
  actorName: string | null;
  target: string;
  /** The invited address of an `invite:` target, or the name (or email) of a `user:` target. */
  targetName: string | null;
  data: Record<string, unknown>;
}

const withArticle = (role: unknown) => `${/^[aeiou]/i.test(String(role)) ? 'an' : 'a'} ${String(role)}`;

function who(facts: AuditFacts): string {
  if (facts.actorName) return facts.actorName;
  switch (facts.actor) {
    case 'invitee':
      return 'The invitee';
    case 'operator':
      return 'An operator';
    case 'system':
    case 'anonymous':
      return 'The platform';
    default:
      if (facts.actor.startsWith('system:')) return 'The platform';
      return facts.actor.startsWith('user:') ? 'A former member' : facts.actor;
  }
}

/** "join link “Onboarding”", or "a join link" when it has no name. */
const linkName = (data: Record<string, unknown>) => (typeof data.label === 'string' && data.label ? `join link “${data.label}”` : 'a join link');
const capitalised = (words: string) => words.charAt(0).toUpperCase() + words.slice(1);

/** How an invitee who answered without the link did it. */
const fromInbox = (data: Record<string, unknown>) => (data.via === 'inbox' ? ' from their inbox' : '');

/** "English, French and German". */
const listOf = (items: string[]) => (items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)!}`);

/**
 * A settings change that wrote email templates: which languages' it changed ("changed
 * the French email template") or cleared ("went back to the built-in German email"),
 * and whether other settings changed too.
 */
function templatesChange(data: Record<string, unknown>): string {
  const locales = (data.templates as unknown[]).filter((l): l is TemplateLocale => (templateLocales as readonly unknown[]).includes(l));
  const written = (data.settings as { templates?: Record<string, unknown> } | undefined)?.templates ?? {};
  const named = (ls: TemplateLocale[]) => listOf(ls.map((l) => templateLanguageNames[l]));
  const set = locales.filter((l) => written[l]);
  const cleared = locales.filter((l) => !written[l]);
  const changed = [
    ...(Array.isArray(data.changed) && data.changed.some((f) => f !== 'templates') ? ['the email settings'] : []),
    ...(set.length ? [`the ${named(set)} email template${set.length > 1 ? 's' : ''}`] : []),
  ];
  return listOf([
    ...(changed.length ? [`changed ${listOf(changed)}`] : []),
    ...(cleared.length ? [`went back to the built-in ${named(cleared)} email${cleared.length > 1 ? 's' : ''}`] : []),
  ]);
}

const text = (value: unknown) => (typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value));

export function auditSentence(facts: AuditFacts): string {
  const actor = who(facts);
  const { data } = facts;
  const invitee = text(data.email) || facts.targetName || 'someone';
  const member = text(data.name) || text(data.email) || facts.targetName || 'a member';
  switch (facts.action) {
    case 'org.created':
      return `${actor} created the organisation ${text(data.name)} with ${text(data.seatLimit)} seats`;
    case 'org.seats_changed':
      return `${actor} changed the seat limit from ${text(data.from)} to ${text(data.to)}`;
    case 'org.settings.updated':
      if (Array.isArray(data.templates) && data.templates.length > 0) return `${actor} ${templatesChange(data)}`;
      return Array.isArray(data.changed) && data.changed.length === 1 && data.changed[0] === 'redirectOrigins'
        ? `${actor} changed the allowed redirect origins`
        : `${actor} changed the email settings`;
    case 'org.ownership_transferred':
      return `${actor} made ${member} the owner`;
    case 'invite.created':
      return `${actor} invited ${invitee} as ${text(data.role)}${Array.isArray(data.channels) && data.channels.length === 0 ? ' (link only)' : ''}`;
    case 'invite.resent':
      return `${actor} sent the invite to ${facts.targetName ?? 'someone'} again`;
    case 'invite.withdrawn':
      if (typeof data.joinLinkId === 'string') return `The invite to ${invitee} was withdrawn: they joined through ${linkName(data)}`;
      return `${actor} withdrew the invite to ${invitee}`;
    case 'invite.accepted':
      return `${actor === 'The invitee' ? (facts.targetName ?? 'The invitee') : actor} accepted the invite${fromInbox(data)} and joined as ${text(data.role)}`;
    case 'invite.declined':
      return `${invitee} declined the invite${fromInbox(data)}`;
    case 'invite.expired':
      return `The invite to ${invitee} expired`;
    case 'invite.address_code_sent':
      return `A code was emailed to ${facts.targetName ?? 'the invited address'} to confirm it`;
    case 'invite.address_code_failed':
      return `A wrong code was entered for ${facts.targetName ?? 'the invited address'}`;
    case 'invite.address_verified':
      return `${facts.targetName ?? 'The invited address'} was confirmed by its code`;
    case 'member.added':
      return `${facts.targetName ?? 'Someone'} joined as ${withArticle(data.role)}`;
    case 'member.joined':
      return `${facts.targetName ?? (text(data.name) || 'Someone')} joined ${text(data.orgName) || 'the organisation'} as ${text(data.role)} through ${linkName(data)}`;
    case 'join_link.created':
      return `${actor} created ${linkName(data)} for ${text(data.role)}s${typeof data.maxUses === 'number' ? ` (up to ${data.maxUses} uses)` : ''}`;
    case 'join_link.paused':
      return `${actor} paused ${linkName(data)}`;
    case 'join_link.resumed':
      return `${actor} resumed ${linkName(data)}`;
    case 'join_link.revoked':
      if (data.reason === 'creator_removed') return `${capitalised(linkName(data))} stopped working: its creator is no longer a member`;
      if (data.reason === 'creator_demoted') return `${capitalised(linkName(data))} stopped working: its creator is no longer an admin or owner`;
      return `${actor} revoked ${linkName(data)}`;
    case 'join_link.address_code_sent':
      return `A code was emailed to ${text(data.email) || 'an address'} to confirm it for ${linkName(data)}`;
    case 'join_link.address_code_failed':
      return `A wrong code was entered for ${text(data.email) || 'an address'} on a join link`;
    case 'join_link.address_verified':
      return `${text(data.email) || 'An address'} was confirmed by its code for a join link`;
    case 'member.left':
      return `${member} left the organisation`;
    case 'member.removed':
      return `${actor} removed ${member}`;
    case 'member.role_changed':
      return `${actor} changed ${member}'s role from ${text(data.from)} to ${text(data.to)}`;
    case 'webhook.created':
      return `${actor} added the webhook ${text(data.url)}`;
    case 'webhook.updated':
      return `${actor} changed a webhook`;
    case 'webhook.deleted':
      return `${actor} deleted the webhook ${text(data.url)}`;
    case 'webhook.secret_rotated':
      return `${actor} rotated a webhook's secret`;
    case 'webhook.tested':
      return `${actor} sent a test event to a webhook`;
    case 'webhook.delivery_replayed':
      return `${actor} sent a webhook delivery again`;
    case 'webhook.disabled':
      return `A webhook was turned off after failing for too long`;
    default:
      return `${actor}: ${facts.action}`;
  }
}
