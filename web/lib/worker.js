// A module worker holding one engine (engine.js), so a page never freezes while reviews are
// scored. Messages (pool.js sends them):
//   {id, type: 'load', bytes, threads}        -> {id, ok: true, info}   (the first message's threads
//                                                picks the engine's build: engine.js)
//   {id, type: 'classifyMany', texts, threads} -> {id, ok: true, results}  (per text: answer or {error})
//   {id, type: 'explain', text, part, parts, threads} -> {id, ok: true, result}
// (threads: how many of the engine's threads to use; undefined: all of them)
//   {id, type: 'memory'}                      -> {id, ok: true, memory: {heapBytes, inUseBytes}}
// and {id, ok: false, error: {code, message}} when a request fails (code 'engine' when the
// WebAssembly module could not start at all).
import { createEngine } from './engine.js';
import { errorObject } from './errors.js';

let starting = null; // the engine's promise, created on the first message

self.onmessage = async (event) => {
    const { id, type } = event.data;
    try {
        starting ??= createEngine({ threads: event.data.threads });
        const engine = await starting;
        let reply;
        if (type === 'load') reply = { info: engine.load(event.data.bytes) };
        else if (type === 'classifyMany') reply = { results: engine.useThreads(event.data.threads).classifyMany(event.data.texts) };
        else if (type === 'memory') reply = { memory: engine.memory() };
        else if (type === 'explain') reply = { result: engine.useThreads(event.data.threads).explain(event.data.text, event.data.part, event.data.parts) };
        else throw new Error(`unknown request '${type}'`);
        self.postMessage({ id, ok: true, ...reply });
    } catch (e) {
        self.postMessage({ id, ok: false, error: errorObject(e) });
    }
};
