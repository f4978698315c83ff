// Engine speed side by side with what a user would run instead (a benchmark, not a test): in one
// run, on this machine, the same reviews and the same network (random weights of one shape,
// exported to ONNX by build_scripts/data/export_onnx.py from the checkpoint our .smf files are
// converted from), ms per review for
//   ours, wasm       build/wasm/sentiment.mjs under node (SIMD128, 1 thread), fp32 and int8 .smf:
//                    sent_wasm_classify on the text (tokenizer included)
//   onnxruntime-web  its wasm backend under node, fp32 (1 and 2 threads) and int8 (1 thread), on ids
//   transformers.js  pipeline('text-classification') from a local folder (no network), fp32 and
//                    int8; under node it runs its own onnxruntime-node 1.14 (default threads); text in
//   onnxruntime-node native CPU, fp32 (1 and 2 threads) and int8 (1 thread), on ids
//   ours, native     build/sentiment classify --batch 1 (OMP_NUM_THREADS=1), fp32 and int8: the
//                    time between consecutive answer lines
// and with --chromium the browser's side in headless chromium (a cross-origin-isolated page,
// build_scripts/bench/peers_page.mjs): ours (wasm), onnxruntime-web (1 and 2 threads, fp32 and
// int8) and transformers.js's browser bundle (its onnxruntime-web 1.14 wasm, 1 thread).
// Each engine runs in its own node process or chromium context (a fresh heap; onnxruntime-web's
// thread count is fixed per process), with V8's --no-liftoff: V8 otherwise runs wasm first
// through its baseline compiler and tiers hot functions up in background threads, which on this
// loaded 2-core machine took seconds for onnxruntime-web's large module and made its figures
// swing 40-fold; the figures are the optimized code's, which a page reaches after its warm-up.
// Inputs: real IMDb reviews cut at a word boundary so that they are exactly 128/256/512 word
// pieces with [CLS]/[SEP]; the ONNX engines get our tokenizer's ids of that text. Shapes: the
// shipped model's (weights/sentiment.smf) and distilbert-base. --chromium serves the repository
// root, so --work must lie inside it.
//
//   node build_scripts/bench/engine_peers.mjs [--data ../shared/data/imdb/test.tsv.gz]
//        [--tokenizer-json ../shared/vocab/tokenizer.json] [--configs shipped,base]
//        [--lengths 128,256,512] [--reviews 8] [--min-seconds 2] [--work build/bench/peers] [--chromium]
// Without --data the committed sample tests/data/imdb_test_sample.tsv.gz is used; without
// --tokenizer-json (transformers.js needs Hugging Face's tokenizer.json) its rows are skipped.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:http';
import { createRequire, register } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ortRunner, timeEngine, wasmRunner } from './peers_page.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const self = fileURLToPath(import.meta.url);

const { values: args } = parseArgs({
    options: {
        data: { type: 'string', default: path.join(root, 'tests/data/imdb_test_sample.tsv.gz') },
        'tokenizer-json': { type: 'string' },
        vocab: { type: 'string', default: path.join(root, 'weights/vocab.txt') },
        model: { type: 'string', default: path.join(root, 'weights/sentiment.smf') },
        configs: { type: 'string', default: 'shipped,base' },
        lengths: { type: 'string', default: '128,256,512' },
        reviews: { type: 'string', default: '8' },
        'min-seconds': { type: 'string', default: '2' },
        work: { type: 'string', default: path.join(root, 'build/bench/peers') },
        chromium: { type: 'boolean', default: false },
        child: { type: 'string' },  // internal: run one engine on a spec file, print JSON
    },
});

const fixed = (x, d) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
// ---------------------------------------------------------------- one engine, in its own process
// Spec: { engine, model, threads, texts, ids, labels, positiveIndex, minSeconds } (timeEngine in
// peers_page.mjs runs it). Prints { ms: [...], cpuMs (process CPU time per review, all
// threads), positive: [...] per review, tokens: [...] }.
async function runChild(spec) {
    const cpuMicros = () => {
        const c = process.cpuUsage();
        return c.user + c.system;
    };
    process.stdout.write(JSON.stringify(await timeEngine(await ENGINES[spec.engine](spec), spec, cpuMicros)) + '\n');
}

const ENGINES = {
    async 'ours-wasm'(spec) {
        globalThis.__dirname ??= path.join(root, 'build/wasm');  // Debian emcc 3.1.6's loader under node
        globalThis.require ??= createRequire(import.meta.url);
        const { default: createSentimentModule } = await import(pathToFileURL(path.join(root, 'build/wasm/sentiment.mjs')).href);
        const mod = await createSentimentModule({ wasmBinary: fs.readFileSync(path.join(root, 'build/wasm/sentiment.wasm')) });
        return wasmRunner(mod, fs.readFileSync(spec.model), spec);
    },
    async 'ort-web'(spec) {
        const ort = await import('onnxruntime-web');
        ort.env.wasm.numThreads = spec.threads;
        const session = await ort.InferenceSession.create(spec.model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
        return ortRunner(ort, session, spec);
    },
    async 'ort-node'(spec) {
        const { default: ort } = await import('onnxruntime-node');
        const session = await ort.InferenceSession.create(spec.model,
            { intraOpNumThreads: spec.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
        return ortRunner(ort, session, spec);
    },
    async 'transformers.js'(spec) {
        // Its main module imports `sharp` (images), whose native part an --ignore-scripts install
        // lacks; text classification never calls it, so it resolves to an empty module here.
        register('data:text/javascript,' + encodeURIComponent(
            "export async function resolve(s, c, next) { return s === 'sharp' ? " +
            "{ url: 'data:text/javascript,export default {}', shortCircuit: true } : next(s, c); }"));
        const { pipeline, env } = await import('@xenova/transformers');
        env.allowRemoteModels = false;
        env.localModelPath = path.dirname(spec.model);
        const classify = await pipeline('text-classification', path.basename(spec.model), { quantized: spec.quantized });
        const tokens = spec.texts.map((t) => classify.tokenizer(t).input_ids.dims[1]);
        const positiveLabel = spec.labels[spec.positiveIndex];
        return async (i) => {
            const out = await classify(spec.texts[i], { topk: spec.labels.length });
            return { positive: out.find((o) => o.label === positiveLabel).score, tokens: tokens[i] };
        };
    },
};

function runEngineProcess(spec, specPath) {
    fs.writeFileSync(specPath, JSON.stringify(spec));
    const r = spawnSync(process.execPath, ['--no-liftoff', self, '--child', specPath], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const last = r.stdout.trim().split('\n').pop();
    if (r.status !== 0 || !last.startsWith('{')) {
        const why = (r.stderr || r.stdout).split('\n').filter((l) => l.trim() && !/^\s+at /.test(l) && !/^Node\.js v/.test(l));
        throw new Error(why.slice(-4).join(' | '));
    }
    return JSON.parse(last);
}

// Our native CLI, one review per line with --batch 1 (it flushes each answer): the time between
// consecutive answer lines is the time of one review. Review 0 three times first: the model load
// and the warm-up. CPU time from /proc over the timed answers (clock ticks, so >= 1 s of runs).
const WARMUP_LINES = 3;
function cpuSecondsOf(pid) {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;  // utime + stime, USER_HZ = 100 on Linux
}
function runNative(spec) {
    const rounds = Math.max(1, spec.nativeRounds);
    const texts = [...Array(WARMUP_LINES).fill(spec.texts[0]), ...Array.from({ length: rounds }, () => spec.texts).flat()];
    return new Promise((resolve, reject) => {
        const child = spawn(path.join(root, 'build/sentiment'), ['classify', '--model', spec.model, '--batch', '1'],
            { env: { ...process.env, OMP_NUM_THREADS: '1' }, stdio: ['pipe', 'pipe', 'inherit'] });
        const stamps = [], answers = [];
        let pending = '', cpuStart = 0, cpuEnd = 0;
        child.stdout.on('data', (chunk) => {
            const now = performance.now();
            pending += chunk;
            let nl;
            while ((nl = pending.indexOf('\n')) >= 0) {
                answers.push(JSON.parse(pending.slice(0, nl)));
                stamps.push(now);
                pending = pending.slice(nl + 1);
                if (answers.length === WARMUP_LINES) cpuStart = cpuSecondsOf(child.pid);
                if (answers.length === texts.length) cpuEnd = cpuSecondsOf(child.pid);
            }
        });
        child.on('error', reject);
        child.on('close', (code) => {
            if (code !== 0 || answers.length !== texts.length) return reject(new Error(`native classify exited ${code}`));
            const n = spec.texts.length, ms = [], positive = [], tokens = [];
            for (let k = WARMUP_LINES; k < answers.length; k++) {
                ms.push(stamps[k] - stamps[k - 1]);
                positive[(k - WARMUP_LINES) % n] = answers[k].positive;
                tokens[(k - WARMUP_LINES) % n] = answers[k].tokens;
            }
            resolve({ ms, cpuMs: 1e3 * (cpuEnd - cpuStart) / ms.length, positive, tokens });
        });
        child.stdin.end(texts.map((t) => t + '\n').join(''));
    });
}

// ---------------------------------------------------------------- engines in headless chromium
// The repository root over HTTP with COOP/COEP (cross-origin isolation: wasm threads allowed),
// '/' an empty page; each row gets a fresh browser context whose page imports
// peers_page.mjs and runs the engine there.
function startServer() {
    const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm' };
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp',
        'Cross-Origin-Resource-Policy': 'same-origin', 'Cache-Control': 'no-store' };
    const server = createServer((req, res) => {
        const urlPath = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
        if (urlPath === '/') {
            res.writeHead(200, { ...headers, 'Content-Type': 'text/html' });
            return res.end('<!doctype html><meta charset="utf-8"><title>engine vs peers</title>');
        }
        const file = path.join(root, path.normalize(urlPath));
        if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
            res.writeHead(404, headers);
            return res.end();
        }
        res.writeHead(200, { ...headers, 'Content-Type': types[path.extname(file)] || 'application/octet-stream' });
        fs.createReadStream(file).pipe(res);
    });
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--js-flags=--no-liftoff'];
let browser = null, server = null;
async function runInChromium(spec) {
    if (!browser) {
        const { chromium } = await import('playwright-core');
        server = await startServer();
        browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS, headless: true });
    }
    const context = await browser.newContext();
    try {
        const page = await context.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`http://127.0.0.1:${server.address().port}/`);
        const urlOf = (file) => '/' + path.relative(root, file).split(path.sep).join('/');
        const pageSpec = { ...spec, engine: spec.engine.slice('page:'.length), model: urlOf(spec.model) };
        try {
            return await page.evaluate(async (s) => (await import('/build_scripts/bench/peers_page.mjs')).runInPage(s), pageSpec);
        } catch (e) {
            throw new Error(`${e.message.split('\n')[0]}${errors.length ? ` (${errors[0]})` : ''}`);
        }
    } finally {
        await context.close();
    }
}

if (args.child) {
    await runChild(JSON.parse(fs.readFileSync(args.child, 'utf8')));
    process.exit(0);
}

// ---------------------------------------------------------------- inputs: reviews of exactly N pieces
const { readImdb } = await import('../../tests/tokenizer/sources.mjs');
const { loadWasmTokenizer } = await import('../../tests/tokenizer/wasm_tokenizer.mjs');
const tokenizer = await loadWasmTokenizer(path.join(root, 'build/wasm/sentiment.mjs'), args.vocab);
const vocab = fs.readFileSync(args.vocab, 'utf8').split('\n');
const lengths = args.lengths.split(',').map(Number);
const nReviews = Number(args.reviews);
const corpus = readImdb(args.data);

// The first nReviews reviews with at least N - 2 pieces, each cut after its (N-2)th piece when
// the next piece starts a new word (so the cut text tokenizes to exactly those pieces).
function inputsOfLength(N) {
    const texts = [], ids = [];
    for (const r of corpus) {
        if (texts.length === nReviews) break;
        const full = tokenizer.encode(r.bytes);
        if (full.nTotal < N + 1 || vocab[full.ids[N - 1]].startsWith('##')) continue;
        const cut = r.bytes.subarray(0, full.ends[N - 2]);
        const enc = tokenizer.encode(cut);
        if (enc.nTotal !== N) continue;
        texts.push(cut.toString('utf8'));
        ids.push(Array.from(enc.ids));
    }
    if (texts.length < nReviews) throw new Error(`${args.data}: only ${texts.length} reviews of ${N} tokens`);
    return { texts, ids };
}

// ---------------------------------------------------------------- models: one checkpoint per shape
function smfMetadata(file) {
    const b = fs.readFileSync(file);
    const offset = Number(b.readBigUInt64LE(24)), size = Number(b.readBigUInt64LE(32));
    return JSON.parse(b.subarray(offset, offset + size).toString('utf8'));
}
const shapes = {
    base: { name: 'distilbert-base', dim: 768, n_layers: 6, n_heads: 12, hidden_dim: 3072, max_position_embeddings: 512 },
};
if (fs.existsSync(args.model)) {
    const c = smfMetadata(args.model).config;
    shapes.shipped = {
        name: `shipped shape (${c.n_layers}x${c.dim}, ${c.hidden_dim})`, dim: c.dim, n_layers: c.n_layers,
        n_heads: c.n_heads, hidden_dim: c.hidden_dim, max_position_embeddings: c.max_position_embeddings,
    };
}

function sh(cmd, cmdArgs) {
    const r = spawnSync(cmd, cmdArgs, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ')}:\n${r.stderr.slice(-2000)}`);
}

// work/KEY/: config.json + random model.safetensors (seed 0), onnx/model.onnx, onnx/model_quantized.onnx
// (the names transformers.js looks for), fp32.smf, int8.smf; rebuilt when the shape or the exporter changes.
function prepareModels(key) {
    const s = shapes[key];
    const dir = path.join(args.work, key);
    const exporter = path.join(root, 'build_scripts/data/export_onnx.py');
    const config = { architectures: ['DistilBertForSequenceClassification'], model_type: 'distilbert', activation: 'gelu',
        vocab_size: 30522, dim: s.dim, n_layers: s.n_layers, n_heads: s.n_heads, hidden_dim: s.hidden_dim,
        max_position_embeddings: s.max_position_embeddings, id2label: { 0: 'NEGATIVE', 1: 'POSITIVE' } };
    const stamp = path.join(dir, 'shape.json');
    const int8Smf = path.join(dir, 'int8.smf');
    const fresh = fs.existsSync(int8Smf) && fs.readFileSync(stamp, 'utf8') === JSON.stringify(config) &&
        fs.statSync(exporter).mtimeMs < fs.statSync(int8Smf).mtimeMs;
    if (!fresh) {
        console.log(`preparing ${s.name}: random checkpoint, ONNX export, .smf conversion in ${dir}`);
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
        fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
        sh('/usr/bin/python3', [exporter, '--hf', dir, '--init-random', '0', '--vocab', args.vocab,
            '--out', path.join(dir, 'onnx/model.onnx'), '--int8', path.join(dir, 'onnx/model_quantized.onnx')]);
        sh(path.join(root, 'build/sentiment'), ['convert', '--hf', dir, '--out', path.join(dir, 'fp32.smf')]);
        sh(path.join(root, 'build/sentiment'), ['convert', '--hf', dir, '--out', int8Smf, '--quant', 'int8']);
        fs.writeFileSync(stamp, JSON.stringify(config));
    }
    let transformersJs = null;
    if (args['tokenizer-json']) {
        // ../shared/vocab/tokenizer.json's model has no "type"; transformers.js then falls back to
        // a lookup of whole words (unknown pieces come out undefined), so it is named here.
        const tokenizerJson = JSON.parse(fs.readFileSync(args['tokenizer-json'], 'utf8'));
        tokenizerJson.model.type ??= 'WordPiece';
        fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson));
        fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({
            tokenizer_class: 'DistilBertTokenizer', do_lower_case: true, model_max_length: s.max_position_embeddings }));
        transformersJs = dir;
    }
    return { dir, fp32Smf: path.join(dir, 'fp32.smf'), int8Smf, onnx: path.join(dir, 'onnx/model.onnx'),
        onnxInt8: path.join(dir, 'onnx/model_quantized.onnx'), transformersJs, maxLen: s.max_position_embeddings };
}

// ---------------------------------------------------------------- the run
// Rows: [label, precision, threads, engine, model key]. The ratio column divides each row's
// median by our wasm engine's at the same precision (> 1: ours is faster).
const ROWS = [
    ['ours, wasm SIMD128 (node)', 'fp32', '1', 'ours-wasm', 'fp32Smf'],
    ['ours, wasm SIMD128 (node)', 'int8', '1', 'ours-wasm', 'int8Smf'],
    ['onnxruntime-web, wasm (node)', 'fp32', '1', 'ort-web', 'onnx'],
    ['onnxruntime-web, wasm (node)', 'fp32', '2', 'ort-web', 'onnx'],
    ['onnxruntime-web, wasm (node)', 'int8', '1', 'ort-web', 'onnxInt8'],
    ['transformers.js pipeline (node)', 'fp32', 'default', 'transformers.js', 'transformersJs'],
    ['transformers.js pipeline (node)', 'int8', 'default', 'transformers.js', 'transformersJs'],
    ['onnxruntime-node, native CPU', 'fp32', '1', 'ort-node', 'onnx'],
    ['onnxruntime-node, native CPU', 'fp32', '2', 'ort-node', 'onnx'],
    ['onnxruntime-node, native CPU', 'int8', '1', 'ort-node', 'onnxInt8'],
    ['ours, native (best table for this CPU)', 'fp32', '1', 'native', 'fp32Smf'],
    ['ours, native (best table for this CPU)', 'int8', '1', 'native', 'int8Smf'],
];
// With --chromium: the browser's engines in a cross-origin-isolated page (ratios against ours there).
const CHROMIUM_ROWS = [
    ['ours, wasm SIMD128 (chromium)', 'fp32', '1', 'page:ours-wasm', 'fp32Smf'],
    ['ours, wasm SIMD128 (chromium)', 'int8', '1', 'page:ours-wasm', 'int8Smf'],
    ['onnxruntime-web, wasm (chromium)', 'fp32', '1', 'page:ort-web', 'onnx'],
    ['onnxruntime-web, wasm (chromium)', 'fp32', '2', 'page:ort-web', 'onnx'],
    ['onnxruntime-web, wasm (chromium)', 'int8', '1', 'page:ort-web', 'onnxInt8'],
    ['onnxruntime-web, wasm (chromium)', 'int8', '2', 'page:ort-web', 'onnxInt8'],
    ['transformers.js pipeline (chromium)', 'fp32', '1', 'page:transformers.js', 'transformersJs'],
    ['transformers.js pipeline (chromium)', 'int8', '1', 'page:transformers.js', 'transformersJs'],
];

const versions = (p) => JSON.parse(fs.readFileSync(path.join(root, 'node_modules', p, 'package.json'), 'utf8')).version;
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`engine vs peers: ${new Date().toISOString()}, node ${process.version}, ${os.cpus()[0].model}, ${os.cpus().length} cores`);
// The SIMD the native kernels can pick from (kernels_x86.c): compare only rows of one CPU class.
const cpuFlags = new Set((/^flags\s*:(.*)$/m.exec(fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '') || [, ''])[1].split(/\s+/));
const simd = ['avx2', 'fma', 'avx512f', 'avx512bw', 'avx512_vnni'].filter((f) => cpuFlags.has(f));
console.log(`CPU SIMD flags: ${simd.join(' ') || 'none of avx2 fma avx512f avx512bw avx512_vnni'}; VNNI: ${cpuFlags.has('avx512_vnni') ? 'yes' : 'no'}`);
console.log(`onnxruntime-web ${versions('onnxruntime-web')}, onnxruntime-node ${versions('onnxruntime-node')}, ` +
    `@xenova/transformers ${versions('@xenova/transformers')} (its own onnxruntime-node ${versions('@xenova/transformers/node_modules/onnxruntime-node')})`);
console.log(`inputs: ${nReviews} reviews of ${args.data} per length, cut at a word boundary to exactly N tokens; ` +
    `median over >= ${args['min-seconds']} s of runs after >= 1 s of warm-up; load average at start ${load()}`);
if (!args['tokenizer-json']) console.log('transformers.js rows skipped: no --tokenizer-json (it needs Hugging Face\'s tokenizer.json)');

const results = [];
for (const key of args.configs.split(',')) {
    if (!shapes[key]) {
        console.log(`config ${key}: ${key === 'shipped' ? `${args.model} not found` : 'unknown'}, skipped`);
        continue;
    }
    const m = prepareModels(key);
    for (const N of lengths) {
        if (N > m.maxLen) continue;
        const inputs = inputsOfLength(N);
        const reference = {};
        console.log(`\n${shapes[key].name}, ${N} tokens (load average ${load()})`);
        for (const [label, precision, threads, engine, modelKey] of [...ROWS, ...(args.chromium ? CHROMIUM_ROWS : [])]) {
            if (!m[modelKey]) continue;
            const spec = { engine, model: m[modelKey], threads: Number(threads) || 0, quantized: precision === 'int8',
                labels: ['NEGATIVE', 'POSITIVE'], positiveIndex: 1, minSeconds: Number(args['min-seconds']), ...inputs };
            const loadBefore = os.loadavg()[0];
            let r;
            try {
                if (engine.startsWith('page:')) {
                    r = await runInChromium(spec);
                } else if (engine === 'native') {
                    // Rounds so that the run lasts about min-seconds, from a first pass.
                    const first = await runNative({ ...spec, nativeRounds: 1 });
                    const rounds = Math.min(20, Math.ceil(spec.minSeconds * 1e3 / first.ms.reduce((a, b) => a + b, 0)));
                    r = rounds > 1 ? await runNative({ ...spec, nativeRounds: rounds }) : first;
                } else {
                    r = runEngineProcess(spec, path.join(m.dir, 'spec.json'));
                }
            } catch (e) {
                console.log(`  ${label} ${precision} ${threads}: failed: ${e.message}`);
                continue;
            }
            const ms = median(r.ms);
            const refKey = (engine.startsWith('page:') ? 'page:' : '') + precision;  // ours in the same place
            if (engine.endsWith('ours-wasm')) reference[refKey] = { ms, cpuMs: r.cpuMs };
            if (engine === 'ours-wasm' && precision === 'fp32') reference.positive = r.positive;
            const dp = reference.positive ? Math.max(...r.positive.map((p, i) => Math.abs(p - reference.positive[i]))) : NaN;
            const ours = reference[refKey] || { ms: NaN, cpuMs: NaN };
            const row = { config: shapes[key].name, N, label, precision, threads, ms, cpuMs: r.cpuMs,
                runs: r.ms.length, tokens: r.tokens.reduce((a, b) => a + b, 0) / r.tokens.length,
                ratio: ms / ours.ms, cpuRatio: r.cpuMs / ours.cpuMs, dp, load: loadBefore };
            results.push(row);
            console.log(`  ${label.padEnd(32)} ${precision} ${threads.padEnd(7)} ${ms.toFixed(2).padStart(9)} ms/review ` +
                `(CPU ${fixed(r.cpuMs, 2)}; ${row.runs} runs, ${row.tokens.toFixed(1)} tokens) ` +
                `x${row.ratio.toFixed(2)} (CPU x${fixed(row.cpuRatio, 2)})  max|dP| ${dp.toExponential(1)}`);
        }
    }
}

if (browser) {
    await browser.close();
    server.close();
}
console.log(`\nload average at end ${load()}`);
console.log('ms/review: median wall time; CPU ms: process CPU time per review (all its threads; on this shared ' +
    'machine the steadier figure for one-thread rows); x ours: the row / our wasm engine at the same precision ' +
    '(> 1: ours is faster), by wall and by CPU; max |dP|: largest difference ' +
    'in P(positive) from ours wasm fp32 over the reviews (same network and inputs: ~1e-6 for fp32)');
console.log('\n| shape | tokens | engine | precision | threads | ms/review | reviews/s | x ours wasm | CPU ms/review | x ours (CPU) | max abs dP | load (1 min) |');
console.log('| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results)
    console.log(`| ${r.config} | ${r.N} | ${r.label} | ${r.precision} | ${r.threads} | ${r.ms.toFixed(2)} | ` +
        `${(1e3 / r.ms).toFixed(1)} | ${r.ratio.toFixed(2)} | ${fixed(r.cpuMs, 2)} | ${fixed(r.cpuRatio, 2)} | ` +
        `${r.dp.toExponential(1)} | ${r.load.toFixed(1)} |`);
