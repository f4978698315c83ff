// Splits a review into sentences, as string indices [start, end) into the text. The rule:
//   - a sentence ends after a run of . ! ? … (with any closing quotes or brackets right after it)
//     that is followed by white space or the end of the text;
//   - except a single '.' after a known abbreviation (Mr., Dr., e.g., vs., etc., ...) or after a
//     single capital letter (an initial: "J. R. R. Tolkien");
//   - a decimal (7.5) never splits: its '.' is not followed by white space;
//   - the ideographic 。！？ end a sentence wherever they are (CJK text has no spaces);
//   - an HTML line break (<br>, <br/>, <br />, any case, as IMDb reviews carry) and a newline end a
//     sentence too, and are not part of any sentence;
//   - each sentence is trimmed of white space; empty ones are dropped.
// In JavaScript rather than the C engine: it needs no model, its positions are string indices
// the caller can slice with (no byte-offset mapping), and the engine classifies the pieces.

const ABBREVIATIONS = new Set([
    'mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'mt', 'vs', 'etc', 'e.g', 'i.e', 'cf', 'al', 'approx',
    'vol', 'fig', 'ca', 'inc', 'ltd', 'co', 'corp', 'dept', 'gen', 'gov', 'col', 'lt', 'sgt', 'capt',
]);

// A break: <br> tags and newlines, or a terminator run + closing marks + (white space | end).
const CLOSERS = `["'\u201d\u2019\u00bb)\\]\u300d\u300f]*`;
const BREAK = new RegExp(`<br\\s*/?>|\\n|([.!?\u2026]+)${CLOSERS}(?=\\s|<br|$)|[\u3002\uff01\uff1f]+${CLOSERS}`, 'giu');

// The word right before position `at` (letters, digits and inner dots: "e.g" in "e.g.").
function wordBefore(text, at) {
    const m = /[\p{L}\p{N}.]*$/u.exec(text.slice(Math.max(0, at - 24), at));
    return m[0].replace(/^\.+/, '');
}

function isAbbreviation(text, terminatorAt) {
    const word = wordBefore(text, terminatorAt);
    if (ABBREVIATIONS.has(word.toLowerCase())) return true;
    return /^\p{Lu}$/u.test(word);
}

// [{start, end}] in string indices; text.slice(start, end) is each sentence.
export function splitSentences(text) {
    const spans = [];
    const push = (from, to) => {
        while (from < to && /\s/u.test(text[from])) from++;
        while (to > from && /\s/u.test(text[to - 1])) to--;
        if (to > from) spans.push({ start: from, end: to });
    };
    let start = 0;
    for (const m of text.matchAll(BREAK)) {
        if (/^(<|\n)/.test(m[0])) {         // a <br> tag or a newline: the tag itself is left out
            push(start, m.index);
            start = m.index + m[0].length;
        } else if (!(m[1] === '.' && isAbbreviation(text, m.index))) {
            push(start, m.index + m[0].length);
            start = m.index + m[0].length;
        }
    }
    push(start, text.length);
    return spans;
}
