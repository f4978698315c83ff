// Unit tests of the page's pure modules under node (no browser): CSV/TSV parsing and writing,
// batch tables, UTF-8 byte offset -> JavaScript string index mapping, and the sentence splitter.
//   node tests/web/modules_test.mjs
import assert from 'node:assert/strict';
import { parseDelimited, formatDelimited } from '../../web/csv.js';
import { tableFromLines, tableFromDelimited, guessTextColumn, textsForColumn, resultsToCsv, summarize } from '../../web/batch.js';
import { utf8ByteToStringIndex } from '../../web/lib/text-offsets.js';
import { splitSentences } from '../../web/lib/sentences.js';

const sentencesOf = (text) => splitSentences(text).map((s) => text.slice(s.start, s.end));

let passed = 0;
let failed = 0;
function test(name, fn) {
    try {
        fn();
        passed++;
    } catch (e) {
        failed++;
        console.log(`FAIL ${name}\n${e.stack}`);
    }
}

test('csv: quotes, doubled quotes, delimiters and line breaks inside quotes, CRLF', () => {
    const text = 'id,text\r\n1,"Hello, ""world""\nsecond line"\r\n2,plain\n3,"",\n';
    const { rows, problems } = parseDelimited(text, ',');
    assert.deepEqual(rows, [['id', 'text'], ['1', 'Hello, "world"\nsecond line'], ['2', 'plain'], ['3', '', '']]);
    assert.deepEqual(problems, []);
});

test('csv: no final newline, BOM, empty fields', () => {
    const { rows } = parseDelimited('\ufeffa,b\n,x', ',');
    assert.deepEqual(rows, [['a', 'b'], ['', 'x']]);
});

test('csv: an unclosed quote is reported, not thrown', () => {
    const { rows, problems } = parseDelimited('a\n"never closed, more\n', ',');
    assert.equal(rows.length, 2);
    assert.equal(rows[1][0], 'never closed, more\n');
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /never closed/);
});

test('csv: a stray quote inside an unquoted field is kept', () => {
    const { rows } = parseDelimited('a 5" screen,b\n', ',');
    assert.deepEqual(rows, [['a 5" screen', 'b']]);
});

test('tsv: tabs separate, quoted tabs do not', () => {
    const { rows } = parseDelimited('id\ttext\n1\t"a\tb"\n', '\t');
    assert.deepEqual(rows, [['id', 'text'], ['1', 'a\tb']]);
});

test('csv: format then parse gives the same rows back', () => {
    const rows = [['a', 'b,c', 'say "hi"'], ['line\nbreak', '', 'x\r\ny'], ['=1+2', ' lead', 'trail ']];
    assert.deepEqual(parseDelimited(formatDelimited(rows), ',').rows, rows);
});

test('lines: blank lines are skipped, line numbers kept', () => {
    const t = tableFromLines('first\n\n  \nsecond\r\nthird\n');
    assert.deepEqual(t.rows, [['first'], ['second'], ['third']]);
    assert.deepEqual(t.lineNumbers, [1, 4, 5]);
});

test('table: guess the review column by name, else by length', () => {
    assert.equal(guessTextColumn(tableFromDelimited('id,Review,score\n1,great,5\n', 'csv')), 1);
    assert.equal(guessTextColumn(tableFromDelimited('a,b\n1,a long piece of text here\n2,another long one\n', 'csv')), 1);
});

test('table: a row without the review column gets an error, the others their text', () => {
    const t = tableFromDelimited('id,text\n1,good\n2\n3,bad\n', 'csv');
    const inputs = textsForColumn(t, 1);
    assert.equal(inputs[0].text, 'good');
    assert.match(inputs[1].error, /has 1 fields/);
    assert.equal(inputs[2].text, 'bad');
});

test('results CSV: answers, errors and cancelled rows', () => {
    const t = tableFromDelimited('id,text\n1,good\n2\n3,"bad, really"\n4,later\n', 'csv');
    const inputs = textsForColumn(t, 1);
    const results = [
        { label: 'Positive', positive: 0.9, tokens: 3, truncated: false },
        undefined,
        { label: 'Negative', positive: 0.12345, tokens: 5, truncated: true },
        undefined,
    ];
    const rows = parseDelimited(resultsToCsv(t, inputs, results), ',').rows;
    assert.deepEqual(rows[0], ['id', 'text', 'label', 'positive', 'tokens', 'truncated', 'error']);
    assert.deepEqual(rows[1], ['1', 'good', 'Positive', '0.9000', '3', 'false', '']);
    assert.match(rows[2][6], /has 1 fields/);
    assert.deepEqual(rows[3], ['3', 'bad, really', 'Negative', '0.1235', '5', 'true', '']);
    assert.match(rows[4][6], /cancelled/);
});

test('summary: counts and histogram bins, 1.0 in the last bin', () => {
    const s = summarize([
        { label: 'Positive', positive: 1.0 }, { label: 'Positive', positive: 0.95 },
        { label: 'Negative', positive: 0.0 }, { error: 'x' }, undefined,
    ]);
    assert.equal(s.positive, 2);
    assert.equal(s.negative, 1);
    assert.equal(s.errors, 1);
    assert.equal(s.pending, 1);
    assert.deepEqual(s.histogram, [1, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
});

test('utf8 offsets: every character boundary maps to the right string index', () => {
    const samples = ['plain ascii', 'café naïve', 'emoji 😀 and 👍🏽 ok', '中文 mixed 日本語', 'lone \ud800 surrogate', ''];
    const encoder = new TextEncoder();
    for (const text of samples) {
        const index = utf8ByteToStringIndex(text);
        assert.equal(index.length, encoder.encode(text).length + 1, text);
        // For each code point, the byte offset of its start must map to its string index.
        let bytes = 0;
        let units = 0;
        for (const ch of text) {
            assert.equal(index[bytes], units, `${JSON.stringify(text)} at byte ${bytes}`);
            bytes += encoder.encode(ch).length;
            units += ch.length;
        }
        assert.equal(index[bytes], text.length);
    }
});

test('utf8 offsets: a byte inside a character maps to the end of that character', () => {
    const index = utf8ByteToStringIndex('a😀b'); // bytes: a(1) 😀(4) b(1)
    assert.deepEqual(index, [0, 1, 3, 3, 3, 3, 4]);
});

test('sentences: . ! ? and … followed by space or the end; runs of them and closing quotes stay', () => {
    assert.deepEqual(sentencesOf('It was great! Really?! Well… no. "Never." (Twice.) End'),
        ['It was great!', 'Really?!', 'Well…', 'no.', '"Never."', '(Twice.)', 'End']);
});

test('sentences: abbreviations, initials and decimals do not split', () => {
    assert.deepEqual(sentencesOf('Mr. Smith vs. Dr. Who, e.g. the 7.5 cut, i.e. the long one. J. R. R. Tolkien etc. would approve.'),
        ['Mr. Smith vs. Dr. Who, e.g. the 7.5 cut, i.e. the long one.', 'J. R. R. Tolkien etc. would approve.']);
    assert.deepEqual(sentencesOf('A 3.14 score.It ends'), ['A 3.14 score.It ends']); // no space after '.': one sentence
});

test('sentences: <br /> tags and newlines are breaks and belong to no sentence', () => {
    assert.deepEqual(sentencesOf('First part<br /><br />Second part<BR>third\nfourth<br/>'),
        ['First part', 'Second part', 'third', 'fourth']);
});

test('sentences: spans are string indices, trimmed, across accents, emoji and CJK', () => {
    const text = '  Café 😀 was great.   👍🏽 Loved it!<br />映画は最高。とても良かった！ ';
    const spans = splitSentences(text);
    assert.deepEqual(spans.map((s) => text.slice(s.start, s.end)),
        ['Café 😀 was great.', '👍🏽 Loved it!', '映画は最高。', 'とても良かった！']);
    for (const s of spans) assert.ok(s.start < s.end && text[s.start].trim() && text[s.end - 1].trim());
    assert.deepEqual(splitSentences('   '), []);
    assert.deepEqual(splitSentences(''), []);
});

console.log(`web modules: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
