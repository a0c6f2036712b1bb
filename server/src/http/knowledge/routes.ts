import type { z } from 'zod';
import { SCOPES } from '../../keys/scopes.js';
import { SERVER_VERSION } from '../package-version.js';
import type { KnowledgeRoute } from '../rest/route-spec.js';
import type { DocumentMetadata } from './knowledge-base.js';
import { ingestInput, ingestOutput, queryInput, queryOutput, systemInfoOutput } from './schemas.js';

const NO_MATCH = 'No passage in your knowledge base matches this query. Ingest text with POST /ingest first.';

/**
 * The demo knowledge API (the brief's RAG system), protected by Keyledger keys. It answers from the
 * texts a key's account ingested, by bm25 over SQLite FTS5; there is no language model.
 */
export const knowledgeRoutes: KnowledgeRoute[] = [
  {
    method: 'GET',
    path: '/system/info',
    endpoint: '/system/info',
    operationId: 'systemInfo',
    summary: 'Knowledge API status, and what the calling key may do (any scope)',
    tag: 'Knowledge API',
    auth: 'api_key',
    demo: true,
    status: 200,
    response: systemInfoOutput,
    rateLimitHeaders: true,
    errors: [],
    examples: {
      response: {
        name: 'Keyledger demo knowledge API',
        version: SERVER_VERSION,
        status: 'ok',
        knowledge_base: { documents: 2, passages: 7 },
        key: {
          key_id: 'key_7f3a9c2e41b04d6f',
          scope: 'query_only',
          operations: ['system:read', 'kb:query'],
          ratelimit: { limit: 1000, remaining: 998, reset: 1767225600000, window: 3600 },
        },
      },
    },
    serve: (kb, _input, key): z.output<typeof systemInfoOutput> => ({
      name: 'Keyledger demo knowledge API',
      version: SERVER_VERSION,
      status: 'ok',
      knowledge_base: kb.stats(key.user_id),
      key: {
        key_id: key.key_id,
        scope: key.scope,
        operations: [...SCOPES[key.scope].operations],
        ratelimit: key.rate
          ? {
              limit: key.rate.limit,
              remaining: key.rate.remaining,
              reset: key.rate.resetAt,
              window: key.rate.windowSeconds,
            }
          : null,
      },
    }),
  },
  {
    method: 'POST',
    path: '/query',
    endpoint: '/query',
    operationId: 'query',
    summary: 'Ask the knowledge base (query_only, full_access, admin)',
    description:
      'The answer is the best-matching passages of the texts this key’s account ingested, ranked by bm25.',
    tag: 'Knowledge API',
    auth: 'api_key',
    demo: true,
    body: queryInput,
    status: 200,
    response: queryOutput,
    rateLimitHeaders: true,
    errors: [],
    examples: {
      body: { query: 'What is machine learning?' },
      response: {
        query: 'What is machine learning?',
        answer: 'Machine learning is the study of algorithms that improve through experience and data.',
        sources: [
          {
            document_id: 'doc_5e0c2b7d9a1f4e3c8b6a2d1f0e9c8b7a',
            metadata: { source: 'ml-primer.md' },
            score: 2.1734,
            created_at: '2026-01-05T09:30:00.000Z',
          },
        ],
      },
    },
    serve: (kb, { body }, key): z.output<typeof queryOutput> => {
      const input = body as z.output<typeof queryInput>;
      const passages = kb.query(key.user_id, input.query, input.top_k);
      const sources: z.output<typeof queryOutput>['sources'] = [];
      for (const p of passages) {
        if (sources.some((s) => s.document_id === p.document_id)) continue;
        sources.push({
          document_id: p.document_id,
          metadata: p.metadata,
          score: p.score,
          created_at: p.created_at,
        });
      }
      return {
        query: input.query,
        answer: passages.length > 0 ? passages.map((p) => p.text).join('\n\n') : NO_MATCH,
        sources,
      };
    },
  },
  {
    method: 'POST',
    path: '/ingest',
    endpoint: '/ingest',
    operationId: 'ingest',
    summary: 'Add a text to the knowledge base (ingest_only, full_access, admin)',
    tag: 'Knowledge API',
    auth: 'api_key',
    demo: true,
    body: ingestInput,
    status: 201,
    response: ingestOutput,
    rateLimitHeaders: true,
    errors: [],
    examples: {
      body: {
        data_type: 'text',
        content: 'Machine learning is the study of algorithms that improve through experience and data.',
        metadata: { source: 'ml-primer.md' },
      },
      response: { document_id: 'doc_5e0c2b7d9a1f4e3c8b6a2d1f0e9c8b7a', passages: 1 },
    },
    serve: (kb, { body }, key): z.output<typeof ingestOutput> => {
      const input = body as z.output<typeof ingestInput>;
      return kb.ingest(key.user_id, key.key_id, input.content, input.metadata as DocumentMetadata);
    },
  },
];
