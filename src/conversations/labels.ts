// Labels: the only writer of labels and conversation_labels. Staff add and remove them on
// conversations (a new name creates the label); the owner picks their colours, renames and deletes
// them (Settings → Labels). Every change is announced for the conversations it touches and recorded
// as an activity line (events.ts), through the workflow's ConversationWriter.
import type { Queryable } from '../core/db';
import { badRequest, notFound } from '../core/errors';
import { conversationChanged } from './changes';
import { recordEvent } from './events';
import type { ConversationWriter } from './writer';

/** The palette a label's colour comes from (public/css/app.css has one rule per colour). */
export const LABEL_COLORS = ['gray', 'red', 'orange', 'yellow', 'green', 'teal', 'blue', 'purple', 'pink'] as const;
export type LabelColor = (typeof LABEL_COLORS)[number];

export interface Label {
  id: number;
  name: string;
  color: LabelColor;
}

export interface LabelUse extends Label {
  /** Conversations carrying it. */
  uses: number;
}

export function cleanLabelName(name: unknown): string {
  const clean = typeof name === 'string' ? name.trim().replace(/\s+/g, ' ') : '';
  if (!clean || clean.length > 40) throw badRequest('invalid-label', 'A label is 1 to 40 characters.');
  return clean;
}

export function listLabels(db: Queryable): Promise<Label[]> {
  return db.all<Label>('SELECT id, name, color FROM labels ORDER BY name');
}

export function listLabelUses(db: Queryable): Promise<LabelUse[]> {
  return db.all<LabelUse>(
    `SELECT l.id, l.name, l.color, (SELECT count(*) FROM conversation_labels cl WHERE cl.label_id = l.id) AS uses
     FROM labels l ORDER BY l.name`,
  );
}

export function labelById(db: Queryable, id: number): Promise<Label | undefined> {
  return db.get<Label>('SELECT id, name, color FROM labels WHERE id = ?', [id]);
}

/** Puts a label on a conversation by name (creating it) or by id (it must exist). Returns whether it was new there. */
export async function attachLabel(
  w: ConversationWriter,
  conversationId: number,
  label: { name: string } | { id: number },
  actorUserId?: number,
): Promise<boolean> {
  let found: Label | undefined;
  if ('id' in label) {
    found = await labelById(w.tx, label.id);
    if (!found) throw badRequest('unknown-label', 'That label does not exist (any more).');
  } else {
    const name = cleanLabelName(label.name);
    await w.tx.run('INSERT OR IGNORE INTO labels (name) VALUES (?)', [name]);
    found = await w.tx.get<Label>('SELECT id, name, color FROM labels WHERE name = ?', [name]);
  }
  const { changes } = await w.tx.run('INSERT OR IGNORE INTO conversation_labels (conversation_id, label_id) VALUES (?, ?)', [
    conversationId,
    found!.id,
  ]);
  if (changes) {
    await recordEvent(w.tx, conversationId, 'label', found!.name, actorUserId);
    conversationChanged(w.outcome, conversationId);
  }
  return changes > 0;
}

export async function detachLabel(
  w: ConversationWriter,
  conversationId: number,
  labelId: number,
  actorUserId?: number,
): Promise<void> {
  const label = await labelById(w.tx, labelId);
  const { changes } = await w.tx.run('DELETE FROM conversation_labels WHERE conversation_id = ? AND label_id = ?', [
    conversationId,
    labelId,
  ]);
  if (changes && label) {
    await recordEvent(w.tx, conversationId, 'unlabel', label.name, actorUserId);
    conversationChanged(w.outcome, conversationId);
  }
}

/** The owner's edit: a new name and/or colour. Every conversation carrying it shows the change live. */
export async function updateLabel(
  w: ConversationWriter,
  id: number,
  change: { name?: unknown; color?: unknown },
): Promise<Label> {
  const label = await labelById(w.tx, id);
  if (!label) throw notFound('That label does not exist.');
  const name = change.name === undefined || change.name === '' ? label.name : cleanLabelName(change.name);
  const color = change.color === undefined || change.color === '' ? label.color : String(change.color);
  if (!LABEL_COLORS.includes(color as LabelColor))
    throw badRequest('invalid-color', `A colour is one of ${LABEL_COLORS.join(', ')}.`);
  const clash = await w.tx.get('SELECT id FROM labels WHERE name = ? AND id <> ?', [name, id]);
  if (clash) throw badRequest('label-exists', `There is already a label called ${name}.`);
  await w.tx.run('UPDATE labels SET name = ?, color = ? WHERE id = ?', [name, color, id]);
  await announceCarriers(w, id);
  return { id, name, color: color as LabelColor };
}

/** Deletes a label and takes it off every conversation. Returns how many carried it. */
export async function deleteLabel(w: ConversationWriter, id: number): Promise<{ label: Label; uses: number }> {
  const label = await labelById(w.tx, id);
  if (!label) throw notFound('That label does not exist.');
  const uses = await announceCarriers(w, id);
  await w.tx.run('DELETE FROM labels WHERE id = ?', [id]);
  return { label, uses };
}

async function announceCarriers(w: ConversationWriter, labelId: number): Promise<number> {
  const carriers = await w.tx.all<{ conversation_id: number }>(
    'SELECT conversation_id FROM conversation_labels WHERE label_id = ?',
    [labelId],
  );
  for (const c of carriers) conversationChanged(w.outcome, c.conversation_id);
  return carriers.length;
}
