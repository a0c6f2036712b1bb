import { z } from 'zod';
import { keyScopeSchema, rateLimitState } from '../../api/schemas/index.js';

const MAX_METADATA_ENTRIES = 32;

export const documentMetadata = z
  .record(z.string().min(1).max(64), z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]))
  .refine((m) => Object.keys(m).length <= MAX_METADATA_ENTRIES, {
    message: `at most ${MAX_METADATA_ENTRIES} entries`,
  })
  .describe('your own fields, returned with the document as a source; flat values only');

export const queryInput = z.strictObject({
  query: z.string().trim().min(1, 'a query is required').max(1000, 'at most 1000 characters'),
  top_k: z.number().int().min(1).max(10).default(3).describe('how many passages make up the answer'),
});

export const querySource = z.object({
  document_id: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  score: z.number().describe('bm25 relevance of its best passage; higher is more relevant'),
  created_at: z.string().describe('ISO-8601 time in UTC'),
});

export const queryOutput = z.object({
  query: z.string(),
  answer: z
    .string()
    .describe('the best-matching passages of your documents, best first, separated by blank lines'),
  sources: z.array(querySource).describe('the documents the answer came from, most relevant first'),
});

export const ingestInput = z.strictObject({
  data_type: z.literal('text').describe('only text can be ingested'),
  content: z.string().trim().min(1, 'content is required').max(50_000, 'at most 50,000 characters'),
  metadata: documentMetadata.default({}),
});

export const ingestOutput = z.object({
  document_id: z.string(),
  passages: z.number().int().describe('how many passages the text was indexed as'),
});

export const systemInfoOutput = z.object({
  name: z.string(),
  version: z.string(),
  status: z.literal('ok'),
  knowledge_base: z.object({
    documents: z.number().int().describe('documents ingested by this key’s account'),
    passages: z.number().int(),
  }),
  key: z.object({
    key_id: z.string(),
    scope: keyScopeSchema,
    operations: z.array(z.string()).describe('what this key’s scope allows'),
    ratelimit: rateLimitState.nullable(),
  }),
});
