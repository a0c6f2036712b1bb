import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { knowledgeBase, matchExpression, splitPassages } from './knowledge-base.js';

const freshBase = () => knowledgeBase(new BetterSqlite3(':memory:'), () => Date.UTC(2026, 0, 1));

describe('splitPassages', () => {
  it('keeps short paragraphs whole and splits long ones at sentence ends', () => {
    const long = Array.from({ length: 30 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
    const passages = splitPassages(`Short one.\n\n${long}\n\n  \n\nLast.`);
    expect(passages[0]).toBe('Short one.');
    expect(passages.at(-1)).toBe('Last.');
    for (const p of passages.slice(1, -1)) {
      expect(p.length).toBeLessThanOrEqual(600);
      expect(p).toMatch(/\.$/);
    }
  });

  it('loses no word of any text, and makes no passage over 600 characters', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 3000 }), (text) => {
        const passages = splitPassages(text);
        for (const p of passages) expect(p.length).toBeLessThanOrEqual(600);
        const words = (s: string) => s.split(/\s+/).filter(Boolean).join('');
        expect(passages.map(words).join('')).toBe(words(text));
      }),
    );
  });
});

describe('matchExpression', () => {
  it('quotes each word and drops words every text has', () => {
    expect(matchExpression('What is machine learning?')).toBe('"machine" OR "learning"');
  });

  it('keeps stop words when the query has nothing else, and is null without words', () => {
    expect(matchExpression('what is it')).toBe('"what" OR "is" OR "it"');
    expect(matchExpression('?!* "" ()')).toBeNull();
  });

  it('never lets a query be read as FTS5 syntax', () => {
    const db = new BetterSqlite3(':memory:');
    db.exec("CREATE VIRTUAL TABLE t USING fts5(text, tokenize = 'porter unicode61')");
    const search = db.prepare('SELECT count(*) FROM t WHERE t MATCH ?');
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (query) => {
        const expression = matchExpression(query);
        if (expression !== null) expect(() => search.get(expression)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});

describe('knowledgeBase', () => {
  it('ranks the passage sharing the rarest words first', () => {
    const kb = freshBase();
    kb.ingest('usr_a', 'key_a', 'Cats purr when they are content.\n\nDogs bark at the mail carrier.', {});
    const { document_id } = kb.ingest(
      'usr_a',
      'key_a',
      'A carrier pigeon carries mail over long distances.',
      {
        topic: 'birds',
      },
    );
    const results = kb.query('usr_a', 'carrier pigeon mail', 3);
    expect(results[0]).toMatchObject({ document_id, metadata: { topic: 'birds' } });
    expect(results[0]?.score).toBeGreaterThan(results[1]?.score ?? Infinity);
    expect(results.map((r) => r.text)).not.toContain('Cats purr when they are content.');
  });

  it('answers one owner only from that owner’s documents', () => {
    const kb = freshBase();
    kb.ingest('usr_a', 'key_a', 'The secret recipe uses saffron.', {});
    expect(kb.query('usr_b', 'saffron recipe', 3)).toEqual([]);
    expect(kb.stats('usr_b')).toEqual({ documents: 0, passages: 0 });
    expect(kb.stats('usr_a')).toEqual({ documents: 1, passages: 1 });
  });

  it('finds words by their stem', () => {
    const kb = freshBase();
    kb.ingest('usr_a', 'key_a', 'Rotating keys regularly limits the damage of a leak.', {});
    expect(kb.query('usr_a', 'key rotation', 1)).toHaveLength(1);
  });
});
