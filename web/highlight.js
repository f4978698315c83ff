// Draws an explanation: the review's text with each scored passage marked. The engine reports
// passages as UTF-8 byte offsets into the text it was given; JavaScript strings are indexed in
// UTF-16 code units, so offsets are mapped through the text's own UTF-8 encoding.

// index[b] = UTF-16 index of the character that starts at UTF-8 byte b (bytes inside a
// character map to the next character boundary, so a span never splits a character).
export function utf8ByteToStringIndex(text) {
    const index = [];
    let units = 0;
    for (const ch of text) {
        const cp = ch.codePointAt(0);
        // TextEncoder writes a lone surrogate as U+FFFD: three bytes for one code unit.
        const bytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        index.push(units);
        for (let k = 1; k < bytes; k++) index.push(units + ch.length);
        units += ch.length;
    }
    index.push(units);
    return index;
}

const MIN_STRENGTH = 0.08; // passages below this share of the strongest one are left unmarked

// spans: [{start, end, score}] in bytes, score = P(positive) with the passage minus without it
// (> 0: it pushed toward Positive). Fills container; returns the marked passages as
// [{text, score}] sorted by |score|, strongest first.
export function renderExplanation(container, text, spans) {
    const index = utf8ByteToStringIndex(text);
    const nBytes = index.length - 1;
    const clean = spans
        .filter((s) => Number.isInteger(s.start) && Number.isInteger(s.end) && s.start >= 0 && s.end <= nBytes &&
            s.start < s.end && Number.isFinite(s.score))
        .sort((a, b) => a.start - b.start);
    const maxAbs = clean.reduce((m, s) => Math.max(m, Math.abs(s.score)), 0);
    container.replaceChildren();
    const marked = [];
    let at = 0; // string index written so far
    for (const s of clean) {
        const from = index[s.start];
        const to = index[s.end];
        if (from < at) continue; // overlapping span: keep the first
        const strength = maxAbs > 0 ? Math.abs(s.score) / maxAbs : 0;
        if (strength < MIN_STRENGTH) continue;
        if (from > at) container.append(text.slice(at, from));
        const mark = document.createElement('mark');
        const passage = text.slice(from, to);
        mark.className = s.score > 0 ? 'pos' : 'neg';
        mark.style.setProperty('--strength', strength.toFixed(3));
        const change = Math.abs(s.score * 100).toFixed(1);
        mark.title = `Removing this ${s.score > 0 ? 'lowers' : 'raises'} P(Positive) by ${change} points`;
        mark.dataset.score = String(s.score);
        mark.textContent = passage;
        container.append(mark);
        marked.push({ text: passage, score: s.score });
        at = to;
    }
    if (at < text.length) container.append(text.slice(at));
    return marked.sort((a, b) => Math.abs(b.score) - Math.abs(a.score));
}
