// SST-2 in the trainer: the PTB detokenizer on hand-written cases, the leak-free split on a small
// hand-made treebank, then (when ../shared is here) both over the whole training file: no PTB
// artefact survives, and no training row occurs inside a validation row (checked by brute force,
// independently of the split's suffix array).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "train/sst2.h"
#include "util.h"

static void check_detok(const char *ptb, const char *want) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", ptb);
    size_t n = sent_sst2_detokenize(buf, strlen(buf));
    CHECK_MSG(n == strlen(want) && !strcmp(buf, want), "'%s' -> '%s', want '%s'", ptb, buf, want);
}

static void test_detokenize(void) {
    check_detok("it does n't work", "it doesn't work");
    check_detok("it 's fine , really .", "it's fine, really.");
    check_detok("i ca n't and wo n't", "i can't and won't");
    check_detok("they 're , we 've , you 'll , he 'd , i 'm", "they're, we've, you'll, he'd, i'm");
    check_detok("a film -lrb- sort of -rrb- that works", "a film (sort of) that works");
    check_detok("a film ( sort of ) that works", "a film (sort of) that works");
    check_detok("-LRB- upper case -RRB-", "(upper case)");
    check_detok("another `` best man '' clone", "another \"best man\" clone");
    check_detok("most ` right-thinking ' films", "most 'right-thinking' films");
    check_detok("viewers ' time", "viewers' time");
    check_detok("the 1920 's ... the film 's ending", "the 1920's... the film's ending");
    check_detok("what was it all for ? ''", "what was it all for?\"");
    check_detok("wow ! ? really ?!", "wow!? really?!");
    check_detok("it costs $ 5 , or 50 %", "it costs $5, or 50%");
    check_detok("promises : a look ; and then", "promises: a look; and then");
    check_detok("i 'm gon na say you wan na , we got ta", "i'm gonna say you wanna, we gotta");
    check_detok("a -- b", "a -- b");                          // dashes stay spaced, as people type them
    check_detok("kill 'em all in the '70s", "kill 'em all in the '70s");   // not clitics
    check_detok("n't bad", "n't bad");                        // a phrase cut after the verb keeps it
    check_detok("  two   spaces  ", "two spaces");
    check_detok("", "");
    check_detok(",", ",");
    check_detok("na", "na");
}

static void set_rows(SentReviews *r, const char **texts, int n) {
    memset(r, 0, sizeof *r);
    r->n = n;
    r->labels = callocCheck((size_t)n, sizeof(int32_t));
    r->texts = mallocCheck((size_t)n * sizeof(char *));
    r->lens = mallocCheck((size_t)n * sizeof(size_t));
    for (int i = 0; i < n; i++) {
        r->texts[i] = mallocCheck(strlen(texts[i]) + 1);
        strcpy(r->texts[i], texts[i]);
        r->lens[i] = strlen(texts[i]);
    }
}

static int contains(const int32_t *list, int n, int x) {
    for (int i = 0; i < n; i++)
        if (list[i] == x) return 1;
    return 0;
}

// A tiny treebank: three sentences and their phrases, one phrase of the longest sentence that is
// long enough to be looked at for validation itself, a duplicate, and unrelated phrases.
static void test_split_small(void) {
    const char *texts[] = {
        "the movie is not bad at all, really",   // 0: longest, held out
        "a sad and hollow little film",           // 1: held out
        "not bad at all",                         // 2: inside 0: dropped
        "the movie is not bad at all",            // 3: candidate inside 0: redundant
        "hollow",                                 // 4: inside 1: dropped
        "a fine cast",                            // 5: trains
        "really good",                            // 6: trains ("really" alone would not)
        "a sad and hollow little film",           // 7: copy of 1, same length, later: redundant
        "ho",                                     // 8: inside "hollow" (bytes, not words): dropped
        "",                                       // 9: empty occurs everywhere: dropped
        "fine",                                   // 10: trains
        "one more distinct sentence",             // 11: held out, after 7 and 3 were passed over
    };
    int n = (int)(sizeof texts / sizeof *texts);
    SentReviews r;
    set_rows(&r, texts, n);
    SentSst2Split s;
    sent_sst2_split(&r, 3, &s);
    CHECK_MSG(s.n_valid == 3 && s.valid[0] == 0 && s.valid[1] == 1 && s.valid[2] == 11, "%d valid", s.n_valid);
    CHECK_MSG(s.n_redundant == 2, "%d redundant", s.n_redundant);   // 7 and 3; 2 is only dropped
    CHECK_MSG(s.n_train == 3 && s.train[0] == 5 && s.train[1] == 6 && s.train[2] == 10, "%d train", s.n_train);
    CHECK_MSG(s.n_dropped == 4, "%d dropped", s.n_dropped);
    CHECK(s.n_valid + s.n_redundant + s.n_train + s.n_dropped == n);
    for (int i = 0; i < n; i++) CHECK(!(contains(s.valid, s.n_valid, i) && contains(s.train, s.n_train, i)));

    SentReviews sub;
    sent_sst2_subset(&r, &s, &sub);
    CHECK(sub.n == 6 && sub.texts[0] == r.texts[0] && sub.texts[2] == r.texts[11] && sub.texts[3] == r.texts[5]);
    sent_sst2_subset_free(&sub);
    sent_sst2_split_free(&s);

    // Asking for more sentences than half the rows hold stops at half the rows.
    sent_sst2_split(&r, 5, &s);
    CHECK_MSG(s.n_valid == 3 && s.n_redundant == 3 && s.n_dropped == 3 && s.n_train == 3, "%d %d %d %d", s.n_valid,
              s.n_redundant, s.n_dropped, s.n_train);
    sent_sst2_subset_free(&sub);
    sent_sst2_split_free(&s);
    sent_reviews_free(&r);
}

// PTB spellings that must not survive detokenization: a space before a clitic or closing mark, a
// space after an opening one, the bracket and quote escapes.
static const char *artefact(const char *t) {
    static const char *const plain[] = {" n't", " ,", " .", " !", " ?", " ;", " :", " )", "( ", " %", "``", "''",
                                        "`", "-lrb-", "-rrb-", "-lsb-", "-rsb-", "gon na", "wan na", NULL};
    static const char *const clitics[] = {" 's", " 're", " 've", " 'll", " 'd", " 'm", NULL};
    for (int i = 0; plain[i]; i++)
        if (strstr(t, plain[i])) return plain[i];
    for (int i = 0; clitics[i]; i++)
        for (const char *p = strstr(t, clitics[i]); p; p = strstr(p + 1, clitics[i])) {
            char after = p[strlen(clitics[i])];
            if (!(after >= 'a' && after <= 'z')) return clitics[i];   // 'em, 'til, 'd-day are words
        }
    return NULL;
}

static void test_whole_file(void) {
    const char *shared = getenv("SHARED") ? getenv("SHARED") : "../shared";
    char path[1024];
    snprintf(path, sizeof path, "%s/data/sst2/train.tsv.gz", shared);
    struct stat st;
    if (stat(path, &st) != 0) {
        int ci = getenv("CI") && !strcmp(getenv("CI"), "true");
        printf("SKIPPED the whole-file checks: %s is not here (set SHARED to the shared folder)%s\n", path,
               ci ? "; CI=true, so this fails" : "");
        CHECK(!ci);
        return;
    }
    double t0 = sent_now_seconds();
    SentReviews r;
    SentSst2Split s;
    sent_sst2_load(path, &r, &s);
    double t_split = sent_now_seconds() - t0;
    CHECK_MSG(r.n == 67349, "%d rows", r.n);

    int n_bad = 0;
    for (int i = 0; i < r.n; i++) {
        const char *a = artefact(r.texts[i]);
        if (a && n_bad++ < 5) fprintf(stderr, "row %d keeps '%s': %s\n", i + 1, a, r.texts[i]);
        CHECK(strlen(r.texts[i]) == r.lens[i]);
    }
    CHECK_MSG(n_bad == 0, "%d rows keep a PTB artefact", n_bad);

    CHECK(s.n_valid + s.n_redundant + s.n_train + s.n_dropped == r.n);
    CHECK_MSG(s.n_valid == SENT_SST2_VALID_ROWS, "%d validation rows", s.n_valid);
    int valid_pos = 0;
    size_t shortest_valid = (size_t)-1, longest_train = 0;
    for (int i = 0; i < s.n_valid; i++) {
        valid_pos += r.labels[s.valid[i]] == 1;
        if (r.lens[s.valid[i]] < shortest_valid) shortest_valid = r.lens[s.valid[i]];
    }
    for (int i = 0; i < s.n_train; i++)
        if (r.lens[s.train[i]] > longest_train) longest_train = r.lens[s.train[i]];
    CHECK(longest_train <= shortest_valid);   // nothing long enough to contain a held-out row trains
    printf("SST-2 split: %d rows; validation %d (%d positive, %d negative; %zu-%zu bytes), %d candidates inside "
           "another; training %d, %d dropped as inside a validation row; split in %.2f s\n",
           r.n, s.n_valid, valid_pos, s.n_valid - valid_pos, shortest_valid, r.lens[s.valid[0]], s.n_redundant,
           s.n_train, s.n_dropped, t_split);

    // Brute force: every training row against every validation row (memmem over one buffer).
    size_t total = 0;
    for (int i = 0; i < s.n_valid; i++) total += r.lens[s.valid[i]] + 1;
    char *all = mallocCheck(total + 1), *at = all;
    for (int i = 0; i < s.n_valid; i++) {
        memcpy(at, r.texts[s.valid[i]], r.lens[s.valid[i]]);
        at += r.lens[s.valid[i]];
        *at++ = '\n';
    }
    int leaks = 0;
    for (int i = 0; i < s.n_train; i++)
        if (memmem(all, total, r.texts[s.train[i]], r.lens[s.train[i]]) && leaks++ < 5)
            fprintf(stderr, "training row %d occurs in validation: %s\n", s.train[i] + 1, r.texts[s.train[i]]);
    CHECK_MSG(leaks == 0, "%d training rows occur inside validation rows", leaks);
    // and the dropped rows really were inside one (the split drops nothing it need not)
    int32_t *kept = callocCheck((size_t)r.n, sizeof(int32_t));
    for (int i = 0; i < s.n_valid; i++) kept[s.valid[i]] = 1;
    for (int i = 0; i < s.n_train; i++) kept[s.train[i]] = 1;
    int wrongly_dropped = 0;
    for (int i = 0; i < r.n; i++)
        if (!kept[i] && !memmem(all, total, r.texts[i], r.lens[i])) wrongly_dropped++;
    CHECK_MSG(wrongly_dropped == 0, "%d rows left out though no validation row holds them", wrongly_dropped);
    printf("brute-force check of %d training rows against %d validation rows: %.2f s\n", s.n_train, s.n_valid,
           sent_now_seconds() - t0 - t_split);
    free(all), free(kept);
    sent_sst2_split_free(&s);
    sent_reviews_free(&r);
}

int main(void) {
    test_detokenize();
    test_split_small();
    test_whole_file();
    return check_summary("test_train_sst2");
}
