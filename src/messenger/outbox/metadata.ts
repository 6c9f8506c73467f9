// Every part ChatX sends carries `chatx:<message id>:<part>` as Send API metadata. Meta returns it
// in the echo, which is how an echo is recognised as ours and reconciled instead of stored twice.
export function outboxMetadata(messageId: number, part: number): string {
  return `chatx:${messageId}:${part}`;
}

export function parseOutboxMetadata(metadata: unknown): { messageId: number; part: number } | undefined {
  const m = typeof metadata === 'string' ? /^chatx:(\d+):(\d+)$/.exec(metadata) : null;
  return m ? { messageId: Number(m[1]), part: Number(m[2]) } : undefined;
}
