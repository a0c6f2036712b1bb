import type { Database } from 'better-sqlite3';
import { randomUUID } from 'node:crypto';

export type DocumentMetadata = Record<string, string | number | boolean | null>;

export interface Passage {
  document_id: string;
  text: string;
  /** bm25 relevance, higher is better. */
  score: number;
  metadata: DocumentMetadata;
  created_at: string;
}

export interface IngestResult {
  document_id: string;
  passages: number;
}

export interface KnowledgeStats {
  documents: number;
  passages: number;
}

/** Passages are what bm25 ranks: a paragraph, or a run of sentences when a paragraph is long. */
const MAX_PASSAGE_CHARS = 600;
/** Terms beyond this are ignored: a query is a question, not a document. */
const MAX_QUERY_TERMS = 32;

// Words that match nearly every passage; left in, they would rank by how often a text says "the".
const STOP_WORDS = new Set(
  (
    'a an and are as at be but by can could did do does for from had has have how i if in into is it its ' +
    'me my not of on or our so than that the their them then there these they this to was we were what ' +
    'when where which who whom why will with would you your about tell explain please'
  ).split(' '),
);

export function createKnowledgeTables(db: Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS kb_documents (
      document_id TEXT PRIMARY KEY,
      owner_id TEXT NOT NULL,    -- the user whose key ingested it; only their keys can query it
      key_id TEXT NOT NULL,
      content TEXT NOT NULL,
      metadata TEXT NOT NULL,    -- JSON object
      created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS kb_documents_by_owner ON kb_documents (owner_id);
    CREATE VIRTUAL TABLE IF NOT EXISTS kb_passages USING fts5(
      text,
      document_id UNINDEXED,
      owner_id UNINDEXED,
      tokenize = 'porter unicode61'
    );
  `);
}

/** Splits text into passages: paragraphs, and long paragraphs into runs of whole sentences. */
export function splitPassages(content: string): string[] {
  const passages: string[] = [];
  for (const paragraph of content.split(/\n\s*\n/)) {
    const text = paragraph.replace(/\s+/g, ' ').trim();
    if (text.length === 0) continue;
    if (text.length <= MAX_PASSAGE_CHARS) {
      passages.push(text);
      continue;
    }
    let current = '';
    for (const sentence of text.match(/[^.!?]+[.!?]*\s*|[.!?]+\s*/g) ?? [text]) {
      if (current.length + sentence.length > MAX_PASSAGE_CHARS && current.trim().length > 0) {
        passages.push(current.trim());
        current = '';
      }
      if (sentence.length <= MAX_PASSAGE_CHARS) {
        current += sentence;
        continue;
      }
      // A sentence longer than a passage is cut at the limit rather than kept whole.
      for (let i = 0; i < sentence.length; i += MAX_PASSAGE_CHARS) {
        const piece = sentence.slice(i, i + MAX_PASSAGE_CHARS).trim();
        if (piece.length > 0) passages.push(piece);
      }
    }
    if (current.trim().length > 0) passages.push(current.trim());
  }
  return passages;
}

/**
 * A question as an FTS5 expression: its words, each quoted so that no user text is read as FTS5
 * syntax (`NEAR`, `*`, column filters), joined by OR so bm25 ranks passages by how many rare words
 * they share. Null when the question has no searchable word.
 */
export function matchExpression(query: string): string | null {
  const words = [...new Set(query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])];
  const meaningful = words.filter((w) => !STOP_WORDS.has(w));
  const terms = (meaningful.length > 0 ? meaningful : words).slice(0, MAX_QUERY_TERMS);
  if (terms.length === 0) return null;
  return terms.map((t) => `"${t}"`).join(' OR ');
}

/**
 * The demo knowledge API's store: documents in a table, their passages in an FTS5 index in the same
 * database. Each account has its own knowledge base: a demo open to sign-up must not let one account
 * read what another ingested.
 */
export function knowledgeBase(db: Database, clock: () => number) {
  createKnowledgeTables(db);
  const insertDocument = db.prepare(
    'INSERT INTO kb_documents (document_id, owner_id, key_id, content, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const insertPassage = db.prepare('INSERT INTO kb_passages (text, document_id, owner_id) VALUES (?, ?, ?)');
  const search = db.prepare<
    [string, string, number],
    { document_id: string; text: string; rank: number; metadata: string; created_at: number }
  >(
    `SELECT p.document_id, p.text, bm25(kb_passages) AS rank, d.metadata, d.created_at
       FROM kb_passages p JOIN kb_documents d ON d.document_id = p.document_id
      WHERE kb_passages MATCH ? AND p.owner_id = ?
      ORDER BY rank LIMIT ?`,
  );
  const documentCount = db.prepare<[string], { n: number }>(
    'SELECT count(*) AS n FROM kb_documents WHERE owner_id = ?',
  );
  const passageCount = db.prepare<[string], { n: number }>(
    'SELECT count(*) AS n FROM kb_passages WHERE owner_id = ?',
  );

  const ingestTx = db.transaction(
    (ownerId: string, keyId: string, content: string, metadata: DocumentMetadata): IngestResult => {
      const documentId = `doc_${randomUUID().replaceAll('-', '')}`;
      insertDocument.run(documentId, ownerId, keyId, content, JSON.stringify(metadata), clock());
      const passages = splitPassages(content);
      for (const passage of passages) insertPassage.run(passage, documentId, ownerId);
      return { document_id: documentId, passages: passages.length };
    },
  );

  return {
    /** Stores a text and indexes its passages, in one transaction. */
    ingest(ownerId: string, keyId: string, content: string, metadata: DocumentMetadata): IngestResult {
      return ingestTx(ownerId, keyId, content, metadata);
    },

    /** The owner's passages that best match the query, best first (bm25). */
    query(ownerId: string, query: string, limit: number): Passage[] {
      const expression = matchExpression(query);
      if (expression === null) return [];
      return search.all(expression, ownerId, limit).map((row) => ({
        document_id: row.document_id,
        text: row.text,
        // bm25() is lower-is-better and negative; flip it so a client reads "higher is more relevant".
        score: Math.round(-row.rank * 1e4) / 1e4,
        metadata: JSON.parse(row.metadata) as DocumentMetadata,
        created_at: new Date(row.created_at).toISOString(),
      }));
    },

    stats(ownerId: string): KnowledgeStats {
      return {
        documents: documentCount.get(ownerId)?.n ?? 0,
        passages: passageCount.get(ownerId)?.n ?? 0,
      };
    },
  };
}
export type KnowledgeBase = ReturnType<typeof knowledgeBase>;
