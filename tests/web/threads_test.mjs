// The pthreads build (sentiment-threads.mjs) against the single-threaded one under node (which
// runs wasm threads on worker_threads): the same int8 probabilities and explanation scores, to
// the printed digit, on IMDb reviews and edge cases, with 2 and 3 threads; which build
// createEngine picks and says it picks; fewer threads in use (useThreads) change nothing; bad
// thread counts refused with a clear error.
//   node tests/web/threads_test.mjs [build/web/lib]
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';

const LIB = path.resolve(process.argv[2] || 'build/web/lib');
const { createEngine } = await import(path.join(LIB, 'engine.js'));
const MODEL = 'weights/sentiment.smf';
const REVIEWS = 40;

let checks = 0;
function check(ok, what) {
    if (!ok) throw new Error(what);
    checks++;
    console.log(`ok ${checks} - ${what}`);
}

const bytes = readFileSync(MODEL);
const rows = gunzipSync(readFileSync('tests/data/imdb_test_sample.tsv.gz')).toString('utf8').split('\n').filter((l) => l);
const texts = rows.slice(1, 1 + REVIEWS).map((l) => l.split('\t').at(-1));
// One token, a batch-tile remainder (rows not a multiple of 4), and a review past the 512-token limit.
texts.push('Great.', 'Not bad at all, really.', texts.join(' '));

const single = await createEngine({ threads: 1 });
single.load(bytes);
check(single.threading === '1 thread: one was asked for' && single.info.threads === 1,
    `threads: 1 runs the single-threaded build ("${single.threading}")`);
const want = texts.map((t) => single.classify(t));
const explainText = texts[3];
const wantExplain = single.explain(explainText);

for (const threads of [2, 3]) {
    const engine = await createEngine({ threads });
    engine.load(bytes);
    check(engine.threading === `${threads} threads (node worker_threads)` && engine.info.threads === threads,
        `threads: ${threads} runs the pthreads build ("${engine.threading}", info.threads ${engine.info.threads})`);
    const got = texts.map((t) => engine.classify(t));
    const differ = got.filter((g, i) => JSON.stringify(g.probs) !== JSON.stringify(want[i].probs) || g.tokens !== want[i].tokens);
    check(differ.length === 0, `${threads} threads: the same probabilities as 1 on ${texts.length} reviews (${differ.length} differ)`);
    const e = engine.explain(explainText);
    check(JSON.stringify(e.spans) === JSON.stringify(wantExplain.spans) && e.evaluations === wantExplain.evaluations,
        `${threads} threads: the same explanation (${e.spans.length} passages scored in packed batches of several sequences)`);
    check(engine.mod._sent_wasm_set_threads(2) === -1 && /before a model is loaded/.test(engine.lastError().message),
        'threads cannot change once a model is loaded');
    // A batch's share (pool.js): the same engine on fewer of its threads, then on all again.
    for (const use of [1, threads - 1, threads]) {
        engine.useThreads(use);
        const again = texts.map((t) => engine.classify(t));
        const moved = again.filter((g, i) => JSON.stringify(g.probs) !== JSON.stringify(want[i].probs)).length;
        check(engine.threadsInUse === use && moved === 0, `${threads} threads, ${use} in use: the same probabilities (${moved} differ)`);
    }
    check(engine.mod._sent_wasm_use_threads(threads + 1) === -1 && /\[1, \d\]/.test(engine.lastError().message),
        `more threads in use than started are refused: "${engine.lastError().message}"`);
}

const fresh = await createEngine({ threads: 2 });
check(fresh.mod._sent_wasm_set_threads(5) === -1 && /\[1, 4\]/.test(fresh.lastError().message),
    `more threads than the build's pre-started workers are refused: "${fresh.lastError().message}"`);
const many = await createEngine({ threads: 64 });
check(many.threading === '4 threads (node worker_threads)', `a larger request is capped at the build's maximum ("${many.threading}")`);
for (const bad of [0, -1, 1.5, 'two']) {
    let error = null;
    try {
        await createEngine({ threads: bad });
    } catch (err) {
        error = err;
    }
    check(error && error.code === 'argument' && /threads must be/.test(error.message), `threads: ${JSON.stringify(bad)} is refused (${error && error.message})`);
}
console.log(`threads test: ${checks} checks passed`);
