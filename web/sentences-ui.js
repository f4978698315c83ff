// Draws a review sentence by sentence (classifier.sentences): each sentence coloured by the
// model's own score of it, the text between sentences kept as it is, except that line breaks
// (<br /> tags, newlines) become line breaks.

// sentences: [{start, end, label, positive}] as string indices into text, in order.
export function renderSentences(container, text, sentences) {
    container.replaceChildren();
    let at = 0;
    const gap = (to) => {
        const between = text.slice(at, to);
        if (/<br\s*\/?>|\n/i.test(between)) container.append(document.createElement('br'));
        else if (between) container.append(between);
    };
    for (const s of sentences) {
        gap(s.start);
        const span = document.createElement('span');
        span.textContent = text.slice(s.start, s.end);
        if (s.error) {
            span.className = 'sentence';
            span.title = `Not scored: ${s.error.message}`;
        } else {
            span.className = `sentence ${s.label === 'Positive' ? 'pos' : 'neg'}`;
            span.style.setProperty('--strength', (Math.abs(s.positive - 0.5) * 2).toFixed(3));
            span.title = `${s.label}: P(Positive) = ${s.positive.toFixed(3)}`;
            span.dataset.label = s.label;
            span.dataset.positive = String(s.positive);
        }
        span.dataset.start = String(s.start);
        span.dataset.end = String(s.end);
        container.append(span);
        at = s.end;
    }
    gap(text.length);
}
