// Job: fetch a contact's display name with the Page token (the only profile field the privacy
// policy names; docs/messenger.md, Profiles). `{}` and error 2018218 mean Meta will not tell: the
// contact keeps a readable placeholder. Token and transient errors retry with backoff.
import type { Db } from '../core/db';
import { RetryLater } from '../core/queue';
import { contactPsid, setProfileName } from '../conversations/contacts';
import type { Conversations } from '../conversations/service';
import { getSetting } from '../settings/store';
import type { Channel } from './channel';
import { GraphError } from './graph';

export function profileJob(db: Db, channel: Channel, conversations: Conversations) {
  return async (payload: Record<string, unknown>, job: { signal: AbortSignal }): Promise<void> => {
    const contact = await contactPsid(db, Number(payload.contactId));
    if (!contact) return; // deleted meanwhile
    const state = await channel.state();
    let name: string | undefined;
    if (state.sandbox) {
      // The Simulator plays Meta in sandbox mode and registers the made-up customer's name.
      name = await getSetting(db, `sandbox.profile.${contact.psid}`);
    } else {
      try {
        name = (await channel.graph(state, job.signal)!.profile(contact.psid)).name;
      } catch (err) {
        if (!(err instanceof GraphError) || job.signal.aborted) throw err;
        if (err.kind === 'token') {
          await channel.tokenRejected(state.token, err.message);
          throw new RetryLater(err.message, 15 * 60 * 1000);
        }
        if (err.kind === 'transient') throw new RetryLater(err.message);
        // 2018218 (no profile for phone-number accounts), 2018247 (permission), 100: Meta will not say.
        name = undefined;
      }
    }
    await conversations.writeOne((w) => setProfileName(w, contact.id, name));
  };
}
