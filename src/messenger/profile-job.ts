// Job: fetch a contact's display name with the Page token (the only profile field the privacy
// policy names). `{}` and error 2018218 mean Meta will not tell: the contact keeps a readable
// placeholder. Token and transient errors retry with backoff.
import type { Config } from '../config';
import type { Bus } from '../core/bus';
import type { Db } from '../core/db';
import { RetryLater } from '../core/queue';
import { getSetting } from '../settings/store';
import { channelState, graphClient, markTokenInvalid } from './channel';
import { GraphError } from './graph';

export function profileJob(db: Db, config: Config, bus?: Bus) {
  return async (payload: Record<string, unknown>): Promise<void> => {
    const contact = await db.get<{ id: number; psid: string; name: string | null }>(
      'SELECT id, psid, name FROM contacts WHERE id = ?',
      [Number(payload.contactId)],
    );
    if (!contact) return; // deleted meanwhile
    const state = await channelState(db, config);
    let name: string | undefined;
    if (state.sandbox) {
      // The Simulator plays Meta in sandbox mode and registers the made-up customer's name.
      name = await getSetting(db, `sandbox.profile.${contact.psid}`);
    } else {
      try {
        name = (await graphClient(config, state)!.profile(contact.psid)).name;
      } catch (err) {
        if (!(err instanceof GraphError)) throw err;
        if (err.kind === 'token') {
          await markTokenInvalid(db, state.token, err.message);
          throw new RetryLater(err.message, 15 * 60 * 1000);
        }
        if (err.kind === 'transient') throw new RetryLater(err.message);
        // 2018218 (no profile for phone-number accounts), 2018247 (permission), 100: Meta will not say.
        name = undefined;
      }
    }
    await db.run('UPDATE contacts SET name = COALESCE(?, name), profile_state = ?, updated_at = ? WHERE id = ?', [
      name?.trim() || null,
      name?.trim() ? 'fetched' : 'unavailable',
      Date.now(),
      contact.id,
    ]);
    // Open lists show the name at once.
    const conversation = await db.get<{ id: number }>('SELECT id FROM conversations WHERE contact_id = ?', [contact.id]);
    if (conversation) bus?.emit('conversation', { conversationId: conversation.id });
  };
}
