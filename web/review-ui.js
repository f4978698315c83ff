// The single-review form and its reasons: classify on click or Ctrl+Enter, show the label,
// probability, tokens and time, then each sentence's own score, then ask for the occlusion
// explanation and draw it.
import { renderExplanation } from './highlight.js';
import { renderSentences } from './sentences-ui.js';
import { EXAMPLES } from './examples.js';

const $ = (id) => document.getElementById(id);

let requestCounter = 0; // answers to an older request than the latest are dropped
let session = null;     // {classifier} from app.js; null until a model is loaded

function showReviewError(message) {
    $('review-error').textContent = message;
    $('review-error').hidden = !message;
}

function showResult(result, seconds) {
    const box = $('result');
    const positive = result.positive;
    const isPositive = result.label === 'Positive';
    const confidence = isPositive ? positive : 1 - positive;
    $('result-label').textContent = result.label;
    $('result-label').className = `label-badge ${isPositive ? 'pos' : 'neg'}`;
    $('result-confidence').textContent = `${(confidence * 100).toFixed(1)} % confident`;
    $('result-meter').style.setProperty('--p', positive.toFixed(4));
    $('result-facts').textContent =
        `P(Positive) = ${positive.toFixed(3)} · ${result.tokens} tokens · ${(seconds * 1000).toFixed(0)} ms`;
    const truncated = $('result-truncated');
    truncated.hidden = !result.truncated;
    if (result.truncated) {
        const maxLen = session.classifier.info.max_len || 'the model\'s limit of';
        truncated.textContent = `This review is longer than ${maxLen} tokens: the model read its beginning and end and skipped the middle.`;
    }
    box.dataset.label = result.label;
    box.dataset.positive = String(positive);
    box.hidden = false;
}

async function classifyReview() {
    if (!session.classifier) {
        showReviewError('The classifier is not ready yet (see the status above).');
        return;
    }
    const text = $('review-input').value;
    const request = ++requestCounter;
    showReviewError('');
    const box = $('result');
    delete box.dataset.label;
    delete box.dataset.positive;
    $('reasons').hidden = true;
    $('sentences').hidden = true;
    if (text.trim() === '') {
        box.hidden = true;
        showReviewError('Type or paste a review first.');
        return;
    }
    $('classify-button').setAttribute('aria-busy', 'true');
    try {
        const start = performance.now();
        let result;
        try {
            result = await session.classifier.classify(text);
        } catch (e) {
            if (request !== requestCounter) return;
            box.hidden = true;
            showReviewError(e.code === 'input' ? `This review could not be classified: ${e.message}` : `The engine failed: ${e.message}`);
            return;
        }
        if (request !== requestCounter) return;
        showResult(result, (performance.now() - start) / 1000);
        await showSentences(text, result, request);
        // A newer review may have been classified (and explained) while the sentences were
        // scored: this one must not clear its reasons.
        if (request !== requestCounter) return;
        await explainReview(text, request);
    } catch (e) {
        if (request === requestCounter) showReviewError(`The engine failed: ${e.message}`);
    } finally {
        if (request === requestCounter) $('classify-button').removeAttribute('aria-busy');
    }
}

// A review of several sentences: each coloured by its own score, beside the overall verdict.
async function showSentences(text, overall, request) {
    const sentences = await session.classifier.sentences(text);
    if (request !== requestCounter || sentences.length < 2) return;
    renderSentences($('by-sentence'), text, sentences);
    const badge = $('sentences-overall');
    badge.textContent = `Overall: ${overall.label} (P(Positive) = ${overall.positive.toFixed(2)})`;
    badge.className = `label-badge ${overall.label === 'Positive' ? 'pos' : 'neg'}`;
    $('sentences').hidden = false;
}

async function explainReview(text, request) {
    const reasons = $('reasons');
    const explained = $('explained');
    explained.replaceChildren();
    delete explained.dataset.ready;
    $('reasons-facts').textContent = 'Finding the passages that mattered…';
    reasons.hidden = false;
    const start = performance.now();
    let explanation;
    try {
        explanation = await session.classifier.explain(text);
    } catch (e) {
        if (request === requestCounter) $('reasons-facts').textContent = `No reasons for this review: ${e.message}`;
        return;
    }
    if (request !== requestCounter) return;
    const seconds = (performance.now() - start) / 1000;
    const marked = renderExplanation(explained, text, explanation.spans || []);
    explained.dataset.ready = 'true';
    const strongest = (sign) => marked.filter((m) => Math.sign(m.score) === sign).slice(0, 3)
        .map((m) => `“${m.text.trim()}”`).join(', ');
    const facts = [];
    if (strongest(1)) facts.push(`Toward Positive: ${strongest(1)}.`);
    if (strongest(-1)) facts.push(`Toward Negative: ${strongest(-1)}.`);
    if (explanation.truncated) facts.push('The middle of this long review was not read by the model, so it has no colours.');
    facts.push(`${explanation.evaluations ?? (explanation.spans || []).length} re-scorings in ${(seconds * 1000).toFixed(0)} ms.`);
    $('reasons-facts').textContent = facts.join(' ');
}

function setUpExamples() {
    const list = $('examples');
    for (const example of EXAMPLES) {
        const item = document.createElement('li');
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'example';
        button.textContent = example.title;
        button.addEventListener('click', () => {
            $('review-input').value = example.text;
            classifyReview();
        });
        item.append(button);
        list.append(item);
    }
}

export function setUpReview(currentSession) {
    session = currentSession;
    setUpExamples();
    $('classify-button').addEventListener('click', classifyReview);
    $('review-input').addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            classifyReview();
        }
    });
}
