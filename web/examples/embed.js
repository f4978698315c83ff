// The public module is all a page needs (from the package: import from 'movie-sentiment').
import { createClassifier } from '../lib/index.js';

const clf = await createClassifier();
const post = document.getElementById('post');
const mood = document.getElementById('mood');
post.disabled = false;
mood.textContent = '';
post.addEventListener('click', async () => {
    try {
        const { label, positive } = await clf.classify(document.getElementById('comment').value);
        mood.textContent = `${label} (${Math.round(positive * 100)} % positive)`;
        mood.dataset.label = label;
    } catch (e) {
        mood.textContent = e.code === 'input' ? 'Write a few words first.' : e.message;
    }
});
