// Meta's data-deletion callback: the `signed_request` it posts, and turning the app-scoped user id
// it carries into the PSID of the same person on this Page (docs/messenger.md, Data-deletion callback).
import crypto from 'node:crypto';
import { AppError } from '../core/errors';
import type { Channel, ChannelState } from './channel';
import { GraphError } from './graph';

export interface SignedDeletion {
  /** The app-scoped user id (not a PSID). */
  userId: string;
  issuedAt?: number;
}

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

function invalid(message: string): AppError {
  return new AppError(400, 'invalid-signed-request', message);
}

/** Verifies and reads `signed_request` (`<signature>.<payload>`, base64url); a 400 AppError otherwise. */
export function parseSignedRequest(signedRequest: unknown, appSecret: string): SignedDeletion {
  if (typeof signedRequest !== 'string' || signedRequest.length > 8192) throw invalid('signed_request is missing.');
  const dot = signedRequest.indexOf('.');
  const encodedSignature = signedRequest.slice(0, dot);
  const encodedPayload = signedRequest.slice(dot + 1);
  if (dot < 1 || !BASE64URL.test(encodedSignature) || !BASE64URL.test(encodedPayload))
    throw invalid('signed_request is not two base64url parts joined by a dot.');
  const signature = Buffer.from(encodedSignature, 'base64url');
  const expected = crypto.createHmac('sha256', appSecret).update(encodedPayload).digest();
  if (signature.length !== expected.length || !crypto.timingSafeEqual(signature, expected))
    throw new AppError(400, 'bad-signature', 'The signature of signed_request does not match.');
  let payload: { algorithm?: unknown; user_id?: unknown; issued_at?: unknown };
  try {
    payload = JSON.parse(Buffer.from(encodedPayload, 'base64url').toString('utf8'));
  } catch {
    throw invalid('The payload of signed_request is not JSON.');
  }
  if (typeof payload !== 'object' || payload === null) throw invalid('The payload of signed_request is not an object.');
  if (typeof payload.algorithm !== 'string' || payload.algorithm.toUpperCase() !== 'HMAC-SHA256')
    throw new AppError(400, 'unsupported-algorithm', 'signed_request must be signed with HMAC-SHA256.');
  const userId = typeof payload.user_id === 'number' ? String(payload.user_id) : payload.user_id;
  if (typeof userId !== 'string' || !/^\d{1,32}$/.test(userId)) throw invalid('signed_request names no user_id.');
  return { userId, issuedAt: typeof payload.issued_at === 'number' ? payload.issued_at : undefined };
}

/**
 * This Page's PSIDs of the person with this app-scoped id: `[]` when Meta knows none (nothing is
 * held), undefined when it could not be asked (no app id, Meta unreachable): ask again later. In
 * sandbox mode the Simulator's customers have no app-scoped id, so the id is taken as the PSID.
 */
export async function psidsOnThisPage(channel: Channel, state: ChannelState, asid: string): Promise<string[] | undefined> {
  if (state.sandbox) return [asid];
  const graph = channel.appGraph(state);
  if (!graph) return undefined;
  try {
    const ids = await graph.idsForPages(asid);
    return ids.filter((i) => !state.ownPageId || i.page?.id === state.ownPageId).map((i) => i.id);
  } catch (err) {
    // Meta does not know this id for the app (or it is malformed): nobody to match.
    if (err instanceof GraphError && err.kind === 'rejected') return [];
    return undefined;
  }
}
