// OpenAI's Chat Completions through the official `openai` SDK (v6 runs on Node 20). The base URL
// lets any OpenAI-compatible server answer instead (Ollama, LM Studio, vLLM, llama.cpp), so the AI
// can stay inside the building; such servers often need no key. Chat Completions rather than the
// Responses API because every compatible server speaks it. Retries are the job queue's (across
// restarts), so the SDK makes one attempt. docs/ai.md, OpenAI.
import OpenAI, { APIUserAbortError } from 'openai';
import { providerError, type Answer, type Completion, type Provider } from './provider';

export const OPENAI_DEFAULT_MODEL = 'gpt-5-mini';

export class OpenAiProvider implements Provider {
  readonly name = 'openai' as const;
  private readonly client: OpenAI;

  constructor(
    readonly model: string,
    options: { apiKey?: string; baseUrl?: string },
  ) {
    // A local server wants no key, but the SDK insists on one.
    this.client = new OpenAI({ apiKey: options.apiKey || 'no-key', baseURL: options.baseUrl, maxRetries: 0 });
  }

  async complete(request: Completion): Promise<Answer> {
    try {
      const res = await this.client.chat.completions.create(
        {
          model: this.model,
          messages: [{ role: 'system', content: request.system }, ...request.turns],
          max_completion_tokens: request.maxTokens,
        },
        { signal: request.signal, timeout: request.timeoutMs },
      );
      const choice = res.choices[0];
      return {
        text: choice?.message?.content ?? '',
        inputTokens: res.usage?.prompt_tokens ?? 0,
        outputTokens: res.usage?.completion_tokens ?? 0,
        refused: Boolean(choice?.message?.refusal) || choice?.finish_reason === 'content_filter',
      };
    } catch (err) {
      throw providerError(err, APIUserAbortError);
    }
  }
}
