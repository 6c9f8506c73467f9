// Every unsafe route the router knows (POST, PATCH), sent with the body shapes a hostile or broken
// client may use instead of the page's own form: no body at all (htmx's hx-post without a form),
// text/plain, a JSON array, JSON with objects where strings belong, multipart without files, every
// field twice, a latin1 form, a gzip header over plain bytes. Signed in as the owner with a valid
// CSRF token, so nothing but the body decides. The answer is a success or a clean 4xx that writes
// nothing — never a 5xx or a stack trace.
import { inboxContext, listen } from '../inbox/support';
import { callRoute, fixtures, ODD_BODIES } from './routes';
import { assertNone, changedTables, routesOf, saneAnswerProblems, snapshot, type Snapshot } from './support';

const TABLES = [
  'users',
  'api_tokens',
  'settings',
  'canned_responses',
  'contacts',
  'conversations',
  'messages',
  'outbox',
  'attachments',
  'labels',
  'conversation_labels',
  'simulator_files',
];

describe('Every unsafe route with an odd body', function () {
  this.timeout(60_000);

  it('should answer every POST and PATCH route, whatever shape its body has, with a success or a clean 4xx that writes nothing', async () => {
    const ctx = await inboxContext();
    const server = await listen(ctx);
    try {
      const f = await fixtures(ctx, server.url);
      const routes = routesOf(ctx.app).filter((r) => /^(POST|PATCH|PUT|DELETE) /.test(r));
      const problems: string[] = [];
      for (const route of routes) {
        for (const shape of ODD_BODIES) {
          let before: Snapshot = {};
          const { answer, sent } = await callRoute(f, route, 'owner', shape, async () => {
            await ctx.deps.outbox.kick();
            await ctx.deps.queue.kick();
            before = await snapshot(ctx.deps.db, TABLES);
          });
          problems.push(...saneAnswerProblems(answer, sent));
          if (answer.status >= 400) {
            const changed = changedTables(before, await snapshot(ctx.deps.db, TABLES));
            if (changed.length) problems.push(`${sent} answered ${answer.status} but changed ${changed.join(', ')}`);
          }
        }
      }
      assertNone(problems, `${problems.length} answers out of ${routes.length * ODD_BODIES.length} were wrong`, 40);
    } finally {
      await server.close();
      await ctx.close();
    }
  });
});
