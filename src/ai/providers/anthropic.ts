// Anthropic's Messages API through the official `@anthropic-ai/sdk`: the system text is a top-level
// field, max_tokens is required, and the turns must begin with the customer's. Retries are the job
// queue's (across restarts), so the SDK makes one attempt. docs/ai.md, Anthropic.
import Anthropic, { APIUserAbortError } from '@anthropic-ai/sdk';
import { providerError, type Answer, type Completion, type Provider } from './provider';

export const ANTHROPIC_DEFAULT_MODEL = 'claude-haiku-4-5';

export class AnthropicProvider implements Provider {
  readonly name = 'anthropic' as const;
  private readonly client: Anthropic;

  constructor(
    readonly model: string,
    options: { apiKey?: string; baseUrl?: string },
  ) {
    this.client = new Anthropic({ apiKey: options.apiKey ?? null, baseURL: options.baseUrl, maxRetries: 0 });
  }

  async complete(request: Completion): Promise<Answer> {
    try {
      const res = await this.client.messages.create(
        { model: this.model, system: request.system, messages: request.turns, max_tokens: request.maxTokens },
        { signal: request.signal, timeout: request.timeoutMs },
      );
      const text = res.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
      return {
        text,
        inputTokens: res.usage?.input_tokens ?? 0,
        outputTokens: res.usage?.output_tokens ?? 0,
        refused: res.stop_reason === 'refusal',
      };
    } catch (err) {
      throw providerError(err, APIUserAbortError);
    }
  }
}
