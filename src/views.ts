// The templates and what every one of them may use, for the Express app and for the live stream
// (which renders the same partials outside any request): the business's time formats, the helpers,
// and the channel's state (sandbox mode, a refused token, whether the Human Agent tag is on).
import path from 'node:path';
import ejs from 'ejs';
import type { Config } from './config';
import { formatters, timeLeft } from './core/format';
import { displayName } from './conversations/names';
import { windowBadge } from './conversations/reply-window';
import { filterQuery } from './inbox/list';
import type { Channel } from './messenger/channel';

export const ROOT = path.resolve(__dirname, '..');
export const VIEWS_DIR = path.join(ROOT, 'views');

export type Render = (view: string, locals: Record<string, unknown>) => Promise<string>;

export interface Views {
  /** Helpers every template may call (app.locals). */
  helpers: Record<string, unknown>;
  /** What every template may read that can change at run time (the channel's state). */
  current(): Promise<Record<string, unknown>>;
  /** Renders a view outside a request (the live stream): same templates, helpers and current state. */
  render: Render;
}

export function createViews(config: Config, channel: Channel): Views {
  const helpers = { fmt: formatters(config.tz), timeLeft, windowBadge, filterQuery, displayName };
  const current = async () => {
    const state = await channel.state();
    return {
      sandbox: state.sandbox,
      tokenInvalid: state.tokenState === 'invalid',
      humanAgentEnabled: state.humanAgentEnabled,
    };
  };
  // Compiled templates are kept unless templates are being edited (npm run dev).
  const cache = !config.development;
  return {
    helpers,
    current,
    async render(view, locals) {
      return ejs.renderFile(path.join(VIEWS_DIR, `${view}.ejs`), { ...helpers, ...(await current()), ...locals }, { cache });
    },
  };
}
