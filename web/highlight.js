// Draws an explanation: the review's text with each scored passage marked. The module reports
// passages as indices into the text (lib/index.js maps the engine's byte offsets).

const MIN_STRENGTH = 0.08; // passages below this share of the strongest one are left unmarked

// spans: [{start, end, score}] as string indices, score = P(positive) with the passage minus without it
// (> 0: it pushed toward Positive). Fills container; returns the marked passages as
// [{text, score}] sorted by |score|, strongest first.
export function renderExplanation(container, text, spans) {
    const clean = spans
        .filter((s) => Number.isInteger(s.start) && Number.isInteger(s.end) && s.start >= 0 && s.end <= text.length &&
            s.start < s.end && Number.isFinite(s.score))
        .sort((a, b) => a.start - b.start);
    const maxAbs = clean.reduce((m, s) => Math.max(m, Math.abs(s.score)), 0);
    container.replaceChildren();
    const marked = [];
    let at = 0; // string index written so far
    for (const s of clean) {
        const from = s.start;
        const to = s.end;
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
