// A small static file server for the built page (`make serve` = node build_scripts/serve.mjs
// build/web 8000). No dependencies. It listens on 127.0.0.1 only and sends the headers the page
// wants from a real host: COOP/COEP (cross-origin isolation, so the page may run several
// workers), a strict Content-Security-Policy, correct MIME types (application/wasm lets the
// browser compile the module while it streams) and byte ranges (an interrupted model download
// resumes).
//
//   node build_scripts/serve.mjs DIR [PORT]     PORT 0 picks a free port; the first line printed
//                                               is "serving DIR at http://127.0.0.1:PORT/"
// Tests import startServer() instead and get the port back.
import { createServer } from 'node:http';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MIME_TYPES = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.mjs': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.json': 'application/json; charset=utf-8',
    '.webmanifest': 'application/manifest+json; charset=utf-8',
    '.wasm': 'application/wasm',
    '.svg': 'image/svg+xml',
    '.png': 'image/png',
    '.ico': 'image/x-icon',
    '.txt': 'text/plain; charset=utf-8',
    '.csv': 'text/csv; charset=utf-8',
    '.tsv': 'text/tab-separated-values; charset=utf-8',
    '.md': 'text/markdown; charset=utf-8',
};
const DEFAULT_MIME = 'application/octet-stream';

// The same policy index.html declares in its <meta> tag; a header also covers the worker
// scripts and the service worker, which a <meta> tag cannot.
export const CONTENT_SECURITY_POLICY = [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
].join('; ');

const ISOLATION_HEADERS = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
};
const BASE_HEADERS = {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
};

// Maps a URL path to a file under root, or null when it would leave root.
function resolveUnderRoot(root, urlPath) {
    let decoded;
    try {
        decoded = decodeURIComponent(urlPath);
    } catch {
        return null;
    }
    if (decoded.includes('\0')) return null;
    const full = path.resolve(root, '.' + path.posix.normalize('/' + decoded));
    if (full !== root && !full.startsWith(root + path.sep)) return null;
    return full;
}

// The [start, end] (inclusive) a "Range: bytes=..." header asks of a file of `size` bytes; null
// for a header this server does not serve as a range (several ranges, other units: the whole file
// is sent), 'unsatisfiable' for one past the end.
function byteRange(header, size) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(header || '');
    if (!m || (m[1] === '' && m[2] === '')) return null;
    let start, end;
    if (m[1] === '') { // the last N bytes
        start = Math.max(0, size - Number(m[2]));
        end = size - 1;
    } else {
        start = Number(m[1]);
        end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    }
    return start <= end && start < size ? [start, end] : 'unsatisfiable';
}

function sendError(res, headers, status, message) {
    res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(message + '\n');
}

async function handle(root, base, req, res) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD');
        return sendError(res, base, 405, 'method not allowed');
    }
    const urlPath = new URL(req.url, 'http://127.0.0.1').pathname;
    let file = resolveUnderRoot(root, urlPath);
    if (file === null) return sendError(res, base, 403, 'forbidden');
    let stat;
    try {
        stat = await fs.stat(file);
        if (stat.isDirectory()) {
            file = path.join(file, 'index.html');
            stat = await fs.stat(file);
        }
    } catch {
        return sendError(res, base, 404, 'not found');
    }
    if (!stat.isFile()) return sendError(res, base, 404, 'not found');

    const headers = {
        ...base,
        'Content-Type': MIME_TYPES[path.extname(file).toLowerCase()] || DEFAULT_MIME,
        'Content-Length': stat.size,
        'Last-Modified': stat.mtime.toUTCString(),
        // Revalidate every time: the service worker does the offline caching, so the HTTP cache
        // must never hand out a stale page or model after a deploy.
        'Cache-Control': 'no-cache',
    };
    if (req.headers['if-modified-since'] &&
        Math.floor(stat.mtimeMs / 1000) <= Math.floor(Date.parse(req.headers['if-modified-since']) / 1000)) {
        res.writeHead(304, { ...base, 'Last-Modified': headers['Last-Modified'], 'Cache-Control': 'no-cache' });
        return res.end();
    }
    headers['Accept-Ranges'] = 'bytes';
    // If-Range: the range only if the file is still the one the client started on.
    const sameFile = !req.headers['if-range'] || req.headers['if-range'] === headers['Last-Modified'];
    const range = sameFile ? byteRange(req.headers.range, stat.size) : null;
    if (range === 'unsatisfiable') {
        res.writeHead(416, { ...base, 'Content-Range': `bytes */${stat.size}` });
        return res.end();
    }
    if (range) {
        headers['Content-Range'] = `bytes ${range[0]}-${range[1]}/${stat.size}`;
        headers['Content-Length'] = range[1] - range[0] + 1;
    }
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === 'HEAD') return res.end();
    const stream = createReadStream(file, range ? { start: range[0], end: range[1] } : {});
    stream.on('error', () => res.destroy());
    stream.pipe(res);
}

// Starts serving dir on 127.0.0.1:port (0 = any free port). Resolves to { server, port, url }.
// isolation: false leaves out COOP/COEP/CORP, like a plain static host (tests use it).
// intercept(req, res, headers): tests that need a faulty host answer a request themselves (and
// return true), with the headers this server would send; otherwise it is served as usual.
export function startServer(dir, port = 0, { isolation = true, intercept } = {}) {
    const root = path.resolve(dir);
    const base = isolation ? { ...ISOLATION_HEADERS, ...BASE_HEADERS } : { ...BASE_HEADERS };
    const server = createServer((req, res) => {
        if (intercept && intercept(req, res, base)) return;
        handle(root, base, req, res).catch(() => {
            if (!res.headersSent) sendError(res, base, 500, 'internal error');
            else res.destroy();
        });
    });
    return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
            const actual = server.address().port;
            resolve({ server, port: actual, url: `http://127.0.0.1:${actual}/` });
        });
    });
}

async function main() {
    const [dir, portArg = '8000'] = process.argv.slice(2);
    if (!dir) {
        console.error('usage: node build_scripts/serve.mjs DIR [PORT]');
        process.exit(2);
    }
    const port = Number(portArg);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
        console.error(`serve: bad port '${portArg}'`);
        process.exit(2);
    }
    try {
        if (!(await fs.stat(dir)).isDirectory()) throw new Error('not a directory');
    } catch (e) {
        console.error(`serve: cannot serve '${dir}': ${e.message} (run \`make web\` first)`);
        process.exit(1);
    }
    try {
        const { url } = await startServer(dir, port);
        console.log(`serving ${dir} at ${url}  (Ctrl+C stops)`);
    } catch (e) {
        console.error(`serve: cannot listen on 127.0.0.1:${port}: ${e.message}`);
        process.exit(1);
    }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
