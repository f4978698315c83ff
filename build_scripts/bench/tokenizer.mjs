// Tokenizer benchmark (not a test): MB/s and tokens/s on IMDb test reviews, every engine in one
// run on the same texts, printed as a table.
//   native C    build/sentiment tokenize --stats (one thread; the tokenizer's own time, and
//               the whole CLI run: reading stdin, tokenizing, printing ids)
//   wasm        build/wasm/sentiment.mjs under node, the same C compiled with emcc -O3
//   HF          @anush008/tokenizers (Hugging Face's Rust tokenizers, napi): encode one by one,
//               and encodeBatch (its own thread pool)
//   transf.js   @xenova/transformers AutoTokenizer (pure JavaScript), from a local folder
//               holding tokenizer.json and a tokenizer_config.json written here
//
//   node build_scripts/bench/tokenizer.mjs --data ../shared/data/imdb/test.tsv.gz
//        --tokenizer-json ../shared/vocab/tokenizer.json [--vocab weights/vocab.txt] [--limit N]
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import tokenizers from "@anush008/tokenizers";
import { readImdb } from "../../tests/tokenizer/sources.mjs";
import { loadWasmTokenizer } from "../../tests/tokenizer/wasm_tokenizer.mjs";

const { values: args } = parseArgs({
    options: {
        data: { type: "string" },
        "tokenizer-json": { type: "string" },
        vocab: { type: "string", default: "weights/vocab.txt" },
        cli: { type: "string", default: "build/sentiment" },
        wasm: { type: "string", default: "build/wasm/sentiment.mjs" },
        limit: { type: "string" },
    },
});
if (!args.data || !args["tokenizer-json"]) throw new Error("--data and --tokenizer-json are required");

const reviews = readImdb(args.data, args.limit ? Number(args.limit) : Infinity);
const texts = reviews.map((r) => r.bytes.toString("utf8"));
const bytes = reviews.reduce((s, r) => s + r.bytes.length, 0);
const input = Buffer.concat(reviews.flatMap((r) => [r.bytes, Buffer.from("\n")]));
console.log(`tokenizer benchmark: ${reviews.length} reviews, ${(bytes / 1e6).toFixed(1)} MB of UTF-8 (${args.data})`);

// Wall-clock time is what a user waits; CPU time (all threads of the process) is also printed
// because this machine is shared, and other programs' turns inflate the wall clock.
const rows = [];
function row(engine, seconds, cpuSeconds, tokens, note = "") {
    rows.push({ engine, seconds, cpuSeconds, tokens, note });
    console.log(`  ${engine}: ${seconds.toFixed(2)} s wall${Number.isFinite(cpuSeconds) ? `, ${cpuSeconds.toFixed(2)} s CPU` : ""}`);
}
async function time(fn) {
    const t0 = performance.now(), c0 = process.cpuUsage();
    const result = await fn();
    const c = process.cpuUsage(c0);
    return [(performance.now() - t0) / 1000, (c.user + c.system) / 1e6, result];
}

// Native C: the CLI's --stats times the tokenizer calls only; the wall time of a normal run
// includes reading stdin and printing every id.
{
    const stats = spawnSync(args.cli, ["tokenize", "--vocab", args.vocab, "--stats"], { input, maxBuffer: 1 << 30 });
    const m = /(\d+) tokens, ([\d.]+) s in the tokenizer \(([\d.]+) s CPU\)/.exec(stats.stderr.toString());
    if (stats.status !== 0 || !m) throw new Error(`native: ${stats.stderr}`);
    row("native C, tokenizer only (1 thread)", Number(m[2]), Number(m[3]), Number(m[1]));
    const t0 = performance.now();
    const run = spawnSync(args.cli, ["tokenize", "--vocab", args.vocab], { input, stdio: ["pipe", "ignore", "pipe"] });
    const seconds = (performance.now() - t0) / 1000;
    if (run.status !== 0) throw new Error(`native CLI failed: ${run.stderr}`);
    row("native C, whole CLI (stdin -> ids to /dev/null)", seconds, NaN, Number(m[1]), "process start, reading, printing ids");
}

// WebAssembly under node.
{
    const wasm = await loadWasmTokenizer(args.wasm, args.vocab);
    wasm.encode(reviews[0].bytes); // warm-up: compile tiers
    const [seconds, cpu, tokens] = await time(() => {
        let n = 0;
        for (const r of reviews) n += wasm.encode(r.bytes).nTotal;
        return n;
    });
    row("wasm under node 20 (same C, emcc -O3)", seconds, cpu, tokens);
}

// Hugging Face tokenizers (Rust through napi).
{
    const hf = tokenizers.Tokenizer.fromFile(args["tokenizer-json"]);
    await hf.encode(texts[0]);
    let [seconds, cpu, tokens] = await time(async () => {
        let n = 0;
        for (const t of texts) n += (await hf.encode(t)).getLength();
        return n;
    });
    row("HF tokenizers (npm), encode one by one", seconds, cpu, tokens);
    [seconds, cpu, tokens] = await time(async () => {
        let n = 0;
        for (let i = 0; i < texts.length; i += 1000)
            for (const e of await hf.encodeBatch(texts.slice(i, i + 1000))) n += e.getLength();
        return n;
    });
    row("HF tokenizers (npm), encodeBatch of 1000", seconds, cpu, tokens, "Rust thread pool: all cores");
}

// transformers.js, loaded from a local folder (no network).
{
    // The package's main module loads `sharp` for images; the tokenizer modules do not need it.
    const { AutoTokenizer } = await import("@xenova/transformers/src/tokenizers.js");
    const { env } = await import("@xenova/transformers/src/env.js");
    const dir = mkdtempSync(join(tmpdir(), "bench-tokenizer-"));
    const model = join(dir, "bert-base-uncased");
    spawnSync("mkdir", ["-p", model]);
    copyFileSync(args["tokenizer-json"], join(model, "tokenizer.json"));
    writeFileSync(join(model, "tokenizer_config.json"), JSON.stringify({
        tokenizer_class: "BertTokenizer", do_lower_case: true, model_max_length: 1e9,
    }));
    env.allowRemoteModels = false;
    env.localModelPath = dir;
    const tok = await AutoTokenizer.from_pretrained("bert-base-uncased");
    tok.encode(texts[0]);
    const [seconds, cpu, tokens] = await time(() => {
        let n = 0;
        for (const t of texts) n += tok.encode(t).length;
        return n;
    });
    rmSync(dir, { recursive: true });
    row("transformers.js tokenizer", seconds, cpu, tokens);
}

const fixed = (x, d) => (Number.isFinite(x) ? x.toFixed(d) : "–");
console.log("\n| engine | MB/s | tokens/s | MB per CPU-second | wall s | CPU s | tokens | note |\n" +
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
for (const r of rows)
    console.log(`| ${r.engine} | ${fixed(bytes / r.seconds / 1e6, 1)} | ${Math.round(r.tokens / r.seconds).toLocaleString("en-US")} | ` +
        `${fixed(bytes / r.cpuSeconds / 1e6, 1)} | ${fixed(r.seconds, 2)} | ${fixed(r.cpuSeconds, 2)} | ` +
        `${r.tokens.toLocaleString("en-US")} | ${r.note} |`);
