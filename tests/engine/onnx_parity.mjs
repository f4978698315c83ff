// The ONNX export (build_scripts/data/export_onnx.py) run by onnxruntime-node is the same network as our
// engine, so the peers' benchmark (build_scripts/bench/engine_peers.mjs) compares like with like:
//   1. PyTorch's golden batches (padded, several batch sizes and lengths: the dynamic axes):
//      onnxruntime fp32 logits within 1e-4 of PyTorch's, relative to the largest logit;
//      the int8 export within 0.1 (the tolerance tests/engine/parity.sh gives our int8).
//   2. Real reviews (the committed IMDb sample): ids from `build/sentiment tokenize`, logits from
//      onnxruntime, softmax; probabilities within 1e-4 of `build/sentiment classify` on the fp32
//      .smf of the same checkpoint, same token count.
//   node tests/engine/onnx_parity.mjs DIR
// DIR holds golden*.safetensors, model.onnx, model_int8.onnx and fp32.smf (tests/engine/onnx_parity.sh).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { readImdb } from '../tokenizer/sources.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = process.argv[2];
if (!dir) {
    console.error('usage: node tests/engine/onnx_parity.mjs DIR');
    process.exit(2);
}
const GOLDEN_TOL = 1e-4, INT8_TOL = 0.1, PROB_TOL = 1e-4, N_REVIEWS = 40;

let failed = 0;
function check(ok, what) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failed++;
}

// safetensors: 8-byte little-endian header length, JSON header, then the data.
function readSafetensors(file) {
    const buf = fs.readFileSync(file);
    const n = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
    const types = { I32: Int32Array, F32: Float32Array };
    const out = {};
    for (const [name, info] of Object.entries(header)) {
        if (name === '__metadata__') continue;
        const [start, end] = info.data_offsets;
        const bytes = buf.subarray(8 + n + start, 8 + n + end);
        // A copy: the typed array needs an offset aligned to its element size.
        out[name] = { data: new types[info.dtype](new Uint8Array(bytes).buffer), shape: info.shape };
    }
    return out;
}

const int64 = (values, shape) => new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), shape);
const maxAbs = (a) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

const fp32 = await ort.InferenceSession.create(path.join(dir, 'model.onnx'));
const int8 = await ort.InferenceSession.create(path.join(dir, 'model_int8.onnx'));

// 1. PyTorch's golden logits.
const goldens = fs.readdirSync(dir).filter((f) => /^golden\d*\.safetensors$/.test(f)).sort();
check(goldens.length > 0, `${dir}: golden batches found (${goldens.length})`);
for (const g of goldens) {
    const t = readSafetensors(path.join(dir, g));
    const shape = t.input_ids.shape;
    const feeds = { input_ids: int64(t.input_ids.data, shape), attention_mask: int64(t.attention_mask.data, shape) };
    const ref = t.logits.data, scale = Math.max(maxAbs(ref), 1e-30);
    for (const [name, session, tol] of [['fp32', fp32, GOLDEN_TOL], ['int8', int8, INT8_TOL]]) {
        const logits = (await session.run(feeds)).logits.data;
        const rel = maxDiff(logits, ref) / scale;
        check(logits.length === ref.length && rel <= tol,
            `${g} [${shape}]: onnxruntime ${name} vs PyTorch, max difference ${rel.toExponential(2)} of the largest logit (<= ${tol})`);
    }
}

// 2. Our engine on real reviews, through the CLI, against onnxruntime on the same ids.
const sample = path.join(root, 'tests/data/imdb_test_sample.tsv.gz');
const cli = path.join(root, 'build/sentiment');
const reviews = readImdb(sample, 200).filter((r) => r.bytes.length < 1500).slice(0, N_REVIEWS);
const input = Buffer.concat(reviews.flatMap((r) => [r.bytes, Buffer.from('\n')]));
const ids = execFileSync(cli, ['tokenize', '--vocab', path.join(dir, 'vocab.txt')], { input })
    .toString().trim().split('\n').map((line) => line.split(' ').map(Number));
const answers = execFileSync(cli, ['classify', '--model', path.join(dir, 'fp32.smf')], { input, env: { ...process.env, OMP_NUM_THREADS: '1' } })
    .toString().trim().split('\n').map((line) => JSON.parse(line));
let worst = 0, sameTokens = 0;
for (let i = 0; i < reviews.length; i++) {
    const T = ids[i].length;
    const logits = (await fp32.run({ input_ids: int64(ids[i], [1, T]), attention_mask: int64(ids[i].map(() => 1), [1, T]) })).logits.data;
    const top = Math.max(...logits);
    const e = Array.from(logits, (l) => Math.exp(l - top));
    const probs = e.map((v) => v / e.reduce((s, x) => s + x, 0));
    worst = Math.max(worst, maxDiff(probs, answers[i].probs));
    if (answers[i].tokens === T) sameTokens++;
}
check(reviews.length === N_REVIEWS && sameTokens === reviews.length,
    `${reviews.length} IMDb sample reviews: engine and onnxruntime saw the same token counts (${sameTokens})`);
check(worst <= PROB_TOL, `engine (fp32 .smf) vs onnxruntime fp32: max probability difference ${worst.toExponential(2)} (<= ${PROB_TOL})`);

console.log(failed ? `onnx parity: ${failed} check(s) failed` : 'onnx parity: all checks passed');
process.exit(failed ? 1 : 0);
