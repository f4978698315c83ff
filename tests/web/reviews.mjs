// Reading the IMDb review files (tests/data/imdb_test_sample.tsv.gz, ../shared/data/imdb/*.tsv.gz):
// TSV with a header, the last column the text with \\ \t \n \r escaped.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export const SAMPLE = 'tests/data/imdb_test_sample.tsv.gz';

export function readReviews(file) {
    const lines = gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter((l) => l !== '');
    const header = lines[0].split('\t');
    const textColumn = header.indexOf('text');
    const labelColumn = header.indexOf('label');
    return lines.slice(1).map((line) => {
        const fields = line.split('\t');
        const text = fields[textColumn].replace(/\\(.)/g, (_, c) => ({ t: '\t', n: '\n', r: '\r' })[c] ?? c);
        return { label: Number(fields[labelColumn]), text };
    });
}
