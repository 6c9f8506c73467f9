// The templates and what every one of them may use, for the Express app and for the live stream
// (which renders the same partials outside any request): the business's time formats, the helpers,
// and the channel's state (sandbox mode, a refused token, whether the Human Agent tag is on).
import path from 'node:path';
import ejs from 'ejs';
import type { Config } from './config';
import { formatters, timeLeft } from './core/format';
import { activityText } from './conversations/events';
import { displayName } from './conversations/names';
import { windowBadge } from './conversations/reply-window';
import { filterQuery } from './inbox/list';
import type { Channel } from './messenger/channel';

export const ROOT = path.resolve(__dirname, '..');
export const VIEWS_DIR = path.join(ROOT, 'views');

export type Render = (view: string, locals: Record<string, unknown>) => Promise<string>;

/**
 * Every name a template reads from its locals. Templates are compiled without `with (locals)`: each
 * of these becomes a plain variable (undefined when not given), which renders a conversation's list
 * and messages several times faster. A name missing here is a ReferenceError when the template runs:
 * test/views.test.ts compares this list with what every template reads.
 */
export const TEMPLATE_LOCALS = [
  // helpers (createViews)
  'fmt',
  'timeLeft',
  'windowBadge',
  'filterQuery',
  'displayName',
  'activityText',
  // the layout and what every page may show
  'title',
  'nav',
  'csrfToken',
  'currentUser',
  'sandbox',
  // the pages and partials
  'ai',
  'aiProvider',
  'auditLog',
  'auditPage',
  'backups',
  'c',
  'canned',
  'channel',
  'colors',
  'contact',
  'contactPanel',
  'contacts',
  'conversation',
  'counts',
  'customer',
  'customers',
  'dash',
  'defs',
  'deletion',
  'done',
  'draft',
  'email',
  'env',
  'error',
  'fieldRows',
  'fileName',
  'filter',
  'hits',
  'https',
  'id',
  'inviteLink',
  'invited',
  'key',
  'labels',
  'leadForm',
  'limits',
  'line',
  'liveQuery',
  'm',
  'matchWindow',
  'me',
  'messages',
  'messenger',
  'messengerError',
  'messengerSaved',
  'more',
  'name',
  'next',
  'nextCursor',
  'notice',
  'page',
  'part',
  'pipeline',
  'plan',
  'privacy',
  'problem',
  'problems',
  'profile',
  'publicUrl',
  'q',
  'qs',
  'request',
  'retentionMonths',
  'restore',
  'rotation',
  'rows',
  'saved',
  'state',
  'statuses',
  'storedPageId',
  'suggestions',
  'test',
  'timeline',
  'timelineChange',
  'timelineHeadline',
  'tokens',
  'types',
  'unread',
  'updated',
  'users',
  'window',
  'windowFull',
  'wipe',
];

/** How templates are compiled, for the app (`view options`) and the live stream alike. */
export function templateOptions(config: Config) {
  return {
    _with: false,
    destructuredLocals: TEMPLATE_LOCALS,
    // Line numbers in template errors cost a statement per line: only while templates are being edited.
    compileDebug: config.development,
    cache: !config.development,
  };
}

export interface Views {
  /** Helpers every template may call (app.locals). */
  helpers: Record<string, unknown>;
  /** What every template may read that can change at run time (the channel's state). */
  current(): Promise<Record<string, unknown>>;
  /** Renders a view outside a request (the live stream): same templates, helpers and current state. */
  render: Render;
}

export function createViews(config: Config, channel: Channel): Views {
  const helpers = { fmt: formatters(config.tz), timeLeft, windowBadge, filterQuery, displayName, activityText };
  const current = async () => {
    const state = await channel.state();
    return {
      sandbox: state.sandbox,
      tokenInvalid: state.tokenState === 'invalid',
      humanAgentEnabled: state.humanAgentEnabled,
    };
  };
  const options = templateOptions(config);
  return {
    helpers,
    current,
    async render(view, locals) {
      return ejs.renderFile(path.join(VIEWS_DIR, `${view}.ejs`), { ...helpers, ...(await current()), ...locals }, options);
    },
  };
}
