#!/usr/bin/env bash
# The npm package (`make npm` -> build/npm/) as a user gets it: `npm pack`, then an OFFLINE install
# of the tarball into an empty project, then the package used from node (the module API checks of
# module_api_test.mjs, through `import ... from 'movie-sentiment'`) and, served statically, from a
# page in headless chromium (npm_page_test.mjs). Also: package.json's exports point at files
# that exist, and the type declarations declare what index.js exports.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
pkg=build/npm
if [ ! -f $pkg/package.json ] || [ ! -f $pkg/sentiment.wasm ] || [ ! -f $pkg/sentiment.smf ]; then
    echo "no package at $pkg: run \`make npm\` first"; exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export npm_config_cache="$work/npm-cache" npm_config_update_notifier=false

node - "$pkg" <<'JS'
const fs = require('node:fs'), path = require('node:path');
const dir = process.argv[2];
const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
const entry = pkg.exports['.'];
for (const f of [entry.import, entry.types]) if (!fs.existsSync(path.join(dir, f))) throw new Error(`exports names a missing file: ${f}`);
if (pkg.type !== 'module' || !/^\d+\.\d+\.\d+$/.test(pkg.version)) throw new Error('package.json: type module and a release version');
const js = fs.readFileSync(path.join(dir, 'index.js'), 'utf8');
const dts = fs.readFileSync(path.join(dir, 'index.d.ts'), 'utf8');
const exported = [...js.matchAll(/^export (?:async )?function (\w+)|^export \{ (\w+) \}/gm)].map((m) => m[1] || m[2]);
const missing = exported.filter((name) => !new RegExp(`export function ${name}\\b`).test(dts));
if (exported.length < 2 || missing.length) throw new Error(`index.d.ts lacks: ${missing.join(', ')} (exports: ${exported.join(', ')})`);
console.log(`ok - package.json exports resolve; index.d.ts declares ${exported.join(', ')}`);
JS

(cd $pkg && npm pack --silent --pack-destination "$work" >/dev/null)
tarball=$(ls "$work"/movie-sentiment-*.tgz)
echo "ok - npm pack: $(basename "$tarball") ($(stat -c %s "$tarball") bytes)"
tar -tzf "$tarball" | sed 's|^package/||' | LC_ALL=C sort > "$work/listing"
for f in package.json README.md index.js index.d.ts engine.js worker.js pool.js model-store.js sentences.js \
         sentiment.mjs sentiment.wasm sentiment-threads.mjs sentiment-threads.wasm sentiment-threads.worker.js \
         sentiment-threads.worker.cjs sentiment.smf model.json; do
    grep -qx "$f" "$work/listing" || { echo "FAIL the tarball lacks $f"; exit 1; }
done
echo "ok - the tarball holds the module, its types, the wasm, its loader and the model"

project="$work/project"
mkdir -p "$project"
echo '{"name":"npm-test-project","private":true,"type":"module"}' > "$project/package.json"
(cd "$project" && npm install --offline --no-audit --no-fund --silent "$tarball")
[ -f "$project/node_modules/movie-sentiment/sentiment.wasm" ] || { echo "FAIL the install has no sentiment.wasm"; exit 1; }
echo "ok - installed offline into an empty project"

cat > "$project/consumer.mjs" <<JS
import * as api from 'movie-sentiment';
import { runChecks } from '$root/tests/web/module_api_test.mjs';
const n = await runChecks(api, new URL('./node_modules/movie-sentiment/sentiment.smf', import.meta.url).pathname);
console.log(\`npm package from node: \${n} checks passed\`);
JS
(cd "$project" && node consumer.mjs)

node tests/web/npm_page_test.mjs "$project"
