// Types of the movie-sentiment ES module (index.js). Positions are indices into the JavaScript
// string given (UTF-16 code units), never byte offsets.

/** What went wrong: the engine's codes, then this module's (errors.js). */
export type ErrorCode =
    | 'argument' | 'io' | 'format' | 'memory' | 'input'
    | 'engine' | 'network' | 'checksum' | 'manifest' | 'no-model' | 'aborted' | 'disposed';

/** Every error the module throws (or reports per item) carries a code. */
export interface SentimentError extends Error {
    code: ErrorCode;
    /** Whether trying again could help, when known. */
    retry?: boolean;
}

export interface ErrorObject {
    code: ErrorCode;
    message: string;
}

export type Label = 'Positive' | 'Negative';

export interface Span {
    start: number;
    end: number;
}

export interface Classification {
    label: Label;
    /** Probability of the positive class, 0..1. */
    positive: number;
    /** Softmax over the model's labels, in the order of info.labels. */
    probs: number[];
    /** Tokens the model read, [CLS] and [SEP] included. */
    tokens: number;
    /** The review was longer than info.max_len tokens: its beginning and end were read. */
    truncated: boolean;
    /** The text of each word piece the model read, in order. */
    spans: Span[];
}

export interface Explanation {
    label: Label;
    positive: number;
    tokens: number;
    truncated: boolean;
    /** Passages scored. */
    evaluations: number;
    /** score: P(positive) with the passage minus P(positive) without it. */
    spans: Array<Span & { score: number }>;
}

export interface Sentence extends Span {
    text: string;
    label?: Label;
    positive?: number;
    /** Set instead of label/positive when the engine refused this sentence. */
    error?: ErrorObject;
}

export type BatchItem = Classification | { error: ErrorObject };

export interface ModelInfo {
    name: string;
    labels: string[];
    positive_index: number;
    config: { vocab_size: number; dim: number; n_layers: number; n_heads: number; hidden_dim: number; max_position_embeddings: number };
    max_len: number;
    truncation: 'head_tail' | 'head';
    head_tokens: number;
    quantization: { scheme: 'int8' | 'fp32'; group_size: number };
    /** A hybrid file's share of its n-gram model in the logit (weights/FORMAT.md), 0 without one. */
    ngram_mix: number;
    /** CRC-32 of the model file, hex. */
    checksum: string;
    kernels: string;
    /** Size of the model file. */
    bytes: number;
    /** Where the bytes came from. */
    source: 'memory' | 'cache' | 'network' | 'file';
    /** Kept in the browser's Cache API for the next visit. */
    stored: boolean;
    /** Why a downloaded model could not be kept (quota exceeded, storage disabled); null otherwise. */
    storageError: string | null;
    /** The kept copy failed its checksum, was deleted and the model downloaded again. */
    cacheDamaged: boolean;
    sha256: string | null;
    /** Engine workers; 0 when the engine runs in place (node, a worker, or workers: 0). */
    workers: number;
    /** Threads of each engine (1: the single-threaded build). */
    threads: number;
    /** Which build runs and why, e.g. "2 threads (cross-origin isolated)", "1 thread: host does not send COOP/COEP". */
    threading: string;
}

export interface Progress {
    /**
     * 'download' while the model is fetched, then 'start' once while the engine loads it;
     * 'retry' when a download failed part way and is tried again after `delay` ms.
     */
    phase: 'download' | 'start' | 'retry';
    loaded: number;
    total: number;
    /** For 'retry': the attempt about to start (2 or 3), of `attempts`. */
    attempt?: number;
    attempts?: number;
    delay?: number;
    /** For 'retry': what went wrong with the previous attempt. */
    reason?: string;
}

export interface EngineMemory {
    /** Size of the engine's WebAssembly memory (it only grows). */
    heapBytes: number;
    /** Bytes malloc has handed out and not had back. */
    inUseBytes: number;
}

export interface ClassifierOptions {
    /** A model.json manifest URL, a .smf URL, or the model's bytes. Default: the model next to this module. */
    model?: string | URL | ArrayBuffer | ArrayBufferView;
    /** Engine workers in a page (default: up to 4 when crossOriginIsolated, else 1); 0 runs in place. */
    workers?: number;
    /** Threads per engine (default: every core, at most 4); more than 1 needs SharedArrayBuffer and, in a page, crossOriginIsolated, else 1 runs. With several workers, a single review uses them all and a batch or an explanation shares the cores out, one thread per worker on 2 cores. */
    threads?: number;
    /** Keep a manifest's model in the browser's Cache API, keyed by its checksum (default true). */
    cache?: boolean;
    onProgress?: (progress: Progress) => void;
    signal?: AbortSignal;
    /**
     * A download with no answer or no new bytes for this long (ms, default 15000) is given up and
     * tried again (three attempts in all, resumed where the server allows), then fails with 'network'.
     */
    stallTimeout?: number;
}

export interface BatchOptions {
    onProgress?: (progress: { done: number; total: number }) => void;
    /** Stops handing out work; the texts not reached get {error: {code: 'aborted'}}. */
    signal?: AbortSignal;
}

export interface Classifier {
    readonly info: Readonly<ModelInfo>;
    classify(text: string): Promise<Classification>;
    /** Results in input order; a failing text gets {error} instead of a throw. */
    classifyBatch(texts: string[], options?: BatchOptions): Promise<BatchItem[]>;
    explain(text: string): Promise<Explanation>;
    /** Each sentence of the text scored on its own. */
    sentences(text: string): Promise<Sentence[]>;
    /** The engine's memory, one entry per engine worker (one when it runs in place). */
    memory(): Promise<EngineMemory[]>;
    dispose(): Promise<void>;
}

export function createClassifier(options?: ClassifierOptions): Promise<Classifier>;

/** The sentence rule sentences() uses, without the model. */
export function splitSentences(text: string): Span[];
