// Reviews to try with one click (written for this page).
export const EXAMPLES = [
    {
        title: 'Loved it',
        text: 'One of the best films I have seen in years. The acting is superb, the story is moving and ' +
            'the ending left the whole theatre in tears. A beautiful, funny and wise movie that I will ' +
            'happily watch again.',
    },
    {
        title: 'Hated it',
        text: 'A complete waste of two hours. The plot makes no sense, the dialogue is painfully bad and ' +
            'the lead actor looks bored in every scene. I wanted to walk out after twenty minutes. ' +
            'Avoid this terrible mess.',
    },
    {
        title: 'Mixed',
        text: 'The cinematography is gorgeous and the score is wonderful, but the script is weak and the ' +
            'second half drags. Great to look at, dull to sit through.',
    },
    {
        title: 'Sarcastic',
        text: 'Oh sure, a brilliant masterpiece: if you enjoy watching paint dry for three hours while ' +
            'someone reads the phone book aloud.',
    },
];
