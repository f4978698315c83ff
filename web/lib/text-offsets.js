// The engine reports text positions as UTF-8 byte offsets into the text it was given; JavaScript
// strings are indexed in UTF-16 code units. Everything this module returns uses string indices,
// mapped here through the text's own UTF-8 encoding.

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
