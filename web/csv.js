// Delimited text (RFC 4180 CSV, and TSV with the same quoting rules): a field may be quoted with
// ", a quote inside is doubled, and a quoted field may hold delimiters and line breaks. Lines end
// in LF or CRLF. Parsing is lenient where a spreadsheet would be (a stray quote inside an unquoted
// field is kept as text) and reports what it could not parse instead of throwing.

// Returns {rows: string[][], problems: [{row, message}]}. Row numbers in problems count from 1.
export function parseDelimited(text, delimiter) {
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // byte order mark
    const rows = [];
    const problems = [];
    let row = [];
    let field = '';
    let i = 0;
    const n = text.length;
    let atFieldStart = true;
    while (i < n) {
        const c = text[i];
        if (atFieldStart && c === '"') {
            // Quoted field: read to the closing quote, turning "" into ".
            i++;
            let closed = false;
            while (i < n) {
                const q = text.indexOf('"', i);
                if (q < 0) {
                    field += text.slice(i);
                    i = n;
                    break;
                }
                field += text.slice(i, q);
                if (text[q + 1] === '"') {
                    field += '"';
                    i = q + 2;
                } else {
                    i = q + 1;
                    closed = true;
                    break;
                }
            }
            if (!closed) problems.push({ row: rows.length + 1, message: 'a quoted field is never closed' });
            // Anything between the closing quote and the next delimiter is kept, as spreadsheets do.
            atFieldStart = false;
            continue;
        }
        if (c === delimiter) {
            row.push(field);
            field = '';
            atFieldStart = true;
            i++;
        } else if (c === '\n' || c === '\r') {
            row.push(field);
            rows.push(row);
            row = [];
            field = '';
            atFieldStart = true;
            i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
        } else {
            // Copy a run of ordinary characters at once.
            let j = i + 1;
            while (j < n && text[j] !== delimiter && text[j] !== '\n' && text[j] !== '\r') j++;
            field += text.slice(i, j);
            atFieldStart = false;
            i = j;
        }
    }
    if (!atFieldStart || field !== '' || row.length > 0) {
        row.push(field);
        rows.push(row);
    }
    return { rows, problems };
}

function quoteField(value, delimiter) {
    const s = value === undefined || value === null ? '' : String(value);
    return /["\r\n]/.test(s) || s.includes(delimiter) ? `"${s.replace(/"/g, '""')}"` : s;
}

// rows: array of arrays of values -> CSV text with CRLF line ends (what spreadsheets expect).
export function formatDelimited(rows, delimiter = ',') {
    return rows.map((r) => r.map((v) => quoteField(v, delimiter)).join(delimiter)).join('\r\n') + '\r\n';
}
