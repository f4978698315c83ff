// The ES module's API under node (no DOM: the engine runs in place): classify, classifyBatch,
// explain, sentences, info, dispose and the error codes, with positions checked against the text
// (accents, emoji, CJK). Run on the site's module, and by the npm test on the installed package:
//   node tests/web/module_api_test.mjs [build/web/lib/index.js]
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// Accents, emoji (2 UTF-16 units, 4 UTF-8 bytes), CJK and <br /> breaks.
const REVIEW = 'Café scene 😀 was wonderful and the cast brilliant. But the ending 最高? No: awful, boring, stupid!' +
    '<br /><br />Mr. Smith, e.g. in 2.5 scenes, saved it… barely.';
const SENTENCES = ['Café scene 😀 was wonderful and the cast brilliant.', 'But the ending 最高?', 'No: awful, boring, stupid!',
    'Mr. Smith, e.g. in 2.5 scenes, saved it…', 'barely.'];

async function rejectsWithCode(promise, code, what) {
    await assert.rejects(promise, (e) => e instanceof Error && e.code === code && e.message.length > 0, what);
}

// Runs every check on the module's exports; modelPath: the .smf the default model is (for the
// ArrayBuffer form). Returns the number of checks.
export async function runChecks(api, modelPath) {
    let checks = 0;
    const check = async (what, fn) => {
        await fn();
        checks++;
        console.log(`ok ${checks} - ${what}`);
    };
    const clf = await api.createClassifier();
    await check('the default model loads in place under node', () => {
        assert.equal(clf.info.workers, 0);
        assert.equal(clf.info.source, 'file');
        assert.ok(clf.info.max_len > 0 && clf.info.bytes > 0 && /^[0-9a-f]{64}$/.test(clf.info.sha256));
    });

    const r = await clf.classify(REVIEW);
    await check('classify: label, probability, probs, tokens, truncated', () => {
        assert.ok(['Positive', 'Negative'].includes(r.label));
        assert.ok(r.positive >= 0 && r.positive <= 1 && Math.abs(r.probs.reduce((a, b) => a + b, 0) - 1) < 1e-4);
        assert.equal(r.label === 'Positive', r.positive >= 0.5);
        assert.equal(r.truncated, false);
        assert.equal(r.spans.length, r.tokens - 2); // every word piece but [CLS] and [SEP]
    });
    await check('classify: token spans are string indices onto whole characters (é, emoji, CJK)', () => {
        const pieces = r.spans.map((s) => REVIEW.slice(s.start, s.end));
        for (let i = 1; i < r.spans.length; i++) assert.ok(r.spans[i].start >= r.spans[i - 1].end);
        const insidePair = (i) => /[\udc00-\udfff]/.test(REVIEW[i] || ''); // a low surrogate: mid-character
        assert.ok(r.spans.every((s) => !insidePair(s.start) && !insidePair(s.end)));
        assert.ok(pieces.every((p) => p.length > 0 && p.trim() === p));
        for (const want of ['😀', '最', '高', 'wonderful']) assert.ok(pieces.includes(want), `${want} in ${pieces.join('|')}`);
        assert.ok(pieces.join('').startsWith('Caf'));
    });

    const sentences = await clf.sentences(REVIEW);
    await check('sentences: the rule splits the review, each span slices to its text', () => {
        assert.deepEqual(sentences.map((s) => s.text), SENTENCES);
        for (const s of sentences) assert.equal(REVIEW.slice(s.start, s.end), s.text);
    });
    const alone = await Promise.all(SENTENCES.map((t) => clf.classify(t)));
    await check('sentences: each sentence has the model\'s own score of it', () => {
        sentences.forEach((s, i) => {
            assert.equal(s.label, alone[i].label);
            assert.ok(Math.abs(s.positive - alone[i].positive) < 1e-6);
        });
    });

    const progress = [];
    const batch = await clf.classifyBatch(['A wonderful film.', '', 42, 'Dull and awful.', REVIEW], { onProgress: (p) => progress.push(p) });
    await check('classifyBatch: results in input order, a per-item error with a code instead of a throw', async () => {
        assert.equal(batch.length, 5);
        assert.equal(batch[1].error.code, 'input');
        assert.equal(batch[2].error.code, 'argument');
        for (const i of [0, 3, 4]) {
            const one = await clf.classify(['A wonderful film.', '', 42, 'Dull and awful.', REVIEW][i]);
            assert.ok(Math.abs(batch[i].positive - one.positive) < 1e-6 && batch[i].label === one.label, `item ${i}`);
        }
        assert.deepEqual(progress.at(-1), { done: 4, total: 4 });
    });
    const aborted = new AbortController();
    aborted.abort();
    const cancelled = await clf.classifyBatch(['one', 'two'], { signal: aborted.signal });
    await check('classifyBatch: after an abort, the texts not reached say so', () => {
        assert.ok(cancelled.every((x) => x.error && x.error.code === 'aborted'));
    });

    const ex = await clf.explain(REVIEW);
    await check('explain: passages as string indices with finite scores', () => {
        assert.ok(ex.spans.length > 0 && ex.evaluations > 0);
        for (const s of ex.spans) {
            assert.ok(s.start < s.end && s.end <= REVIEW.length && Number.isFinite(s.score));
            assert.equal(REVIEW.slice(s.start, s.end).trim(), REVIEW.slice(s.start, s.end));
        }
    });

    await check('errors carry a code: input, argument, format, io, disposed', async () => {
        await rejectsWithCode(clf.classify('   '), 'input', 'a text with no words');
        await rejectsWithCode(clf.classify(42), 'argument', 'a number');
        await rejectsWithCode(clf.classify('x'.repeat(1100000)), 'input', 'over 1 MiB');
        await rejectsWithCode(api.createClassifier({ model: new Uint8Array(64) }), 'format', 'junk bytes');
        await rejectsWithCode(api.createClassifier({ model: '/nonexistent/model.smf' }), 'io', 'a missing file');
        await rejectsWithCode(api.createClassifier({ workers: -1 }), 'argument', 'workers -1');
    });

    const bytes = await readFile(modelPath);
    const fromBytes = await api.createClassifier({ model: bytes });
    await check('a model given as bytes gives the same answer, and the caller\'s bytes stay usable', async () => {
        assert.equal(fromBytes.info.source, 'memory');
        assert.ok(Math.abs((await fromBytes.classify(REVIEW)).positive - r.positive) < 1e-6);
        assert.equal(bytes.length, fromBytes.info.bytes);
    });
    await fromBytes.dispose();
    await clf.dispose();
    await check('dispose: later calls fail with code disposed', () => rejectsWithCode(clf.classify('fine'), 'disposed'));
    return checks;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
    const modulePath = path.resolve(process.argv[2] || 'build/web/lib/index.js');
    const api = await import(pathToFileURL(modulePath).href);
    const n = await runChecks(api, path.join(path.dirname(modulePath), '..', 'sentiment.smf'));
    console.log(`module API: ${n} checks passed`);
}
