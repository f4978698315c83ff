// The trainer's data path: TSV un-escaping, reading the committed IMDb sample, permutations,
// batch gathering, BERT masking (how many, where, and the 80/10/10 split) and the learning-rate
// schedule (warmup, linear and cosine decay).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "train/data.h"
#include "train/rng.h"
#include "train/train.h"

static void test_unescape(void) {
    char text[] = "a\\tb\\nc\\\\d\\re";
    long n = sent_tsv_unescape(text, strlen(text));
    CHECK(n == 9 && !memcmp(text, "a\tb\nc\\d\re", 10));
    char bad[] = "oops\\x";
    CHECK(sent_tsv_unescape(bad, strlen(bad)) == -1);
    char dangling[] = "end\\";
    CHECK(sent_tsv_unescape(dangling, strlen(dangling)) == -1);
    char plain[] = "";
    CHECK(sent_tsv_unescape(plain, 0) == 0);
}

static void test_read_sample(void) {
    SentReviews r;
    sent_reviews_read(&r, "tests/data/imdb_test_sample.tsv.gz");
    int pos = 0, neg = 0, nul_free = 1;
    for (int i = 0; i < r.n; i++) {
        pos += r.labels[i] == 1, neg += r.labels[i] == 0;
        nul_free &= strlen(r.texts[i]) == r.lens[i] && r.lens[i] > 0;
    }
    CHECK_MSG(r.n == 1000 && pos == 500 && neg == 500, "%d reviews, %d pos, %d neg", r.n, pos, neg);
    CHECK(nul_free);
    sent_reviews_free(&r);
}

// The original release's folder layout: labels from pos/ neg/ unsup/, files in name order.
static void test_read_aclimdb_folder(void) {
    char dir[256];
    check_temp_template(dir, sizeof dir, "test_train_data");
    CHECK(mkdtemp(dir) != NULL);
    const char *files[][2] = {{"pos", "1_10.txt"}, {"pos", "0_9.txt"}, {"neg", "0_2.txt"}, {"unsup", "0_0.txt"}};
    const char *texts[] = {"loved\tit", "fine film", "dull", "who knows"};
    char path[512];
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i][0]);
        mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/%s/%s", dir, files[i][0], files[i][1]);
        FILE *f = fopen(path, "wb");
        fputs(texts[i], f);
        fclose(f);
    }
    SentReviews r;
    sent_reviews_read(&r, dir);
    CHECK(r.n == 4);
    if (r.n == 4) {
        CHECK(r.labels[0] == 0 && !strcmp(r.texts[0], "dull"));
        CHECK(r.labels[1] == 1 && !strcmp(r.texts[1], "fine film"));        // 0_9 before 1_10
        CHECK(r.labels[2] == 1 && !strcmp(r.texts[2], "loved\tit") && r.lens[2] == 8);  // raw bytes: a TAB stays
        CHECK(r.labels[3] == -1);
    }
    sent_reviews_free(&r);
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s/%s", dir, files[i][0], files[i][1]);
        remove(path);
        snprintf(path, sizeof path, "%s/%s", dir, files[i][0]);
        rmdir(path);
    }
    rmdir(dir);
}

static void test_permutation(void) {
    enum { N = 1000 };
    int32_t a[N], b[N], seen[N] = {0};
    sent_permutation(a, N, 5);
    sent_permutation(b, N, 5);
    CHECK(!memcmp(a, b, sizeof a));
    int fixed = 0;
    for (int i = 0; i < N; i++) seen[a[i]]++, fixed += a[i] == i;
    int all_once = 1;
    for (int i = 0; i < N; i++) all_once &= seen[i] == 1;
    CHECK(all_once);
    CHECK_MSG(fixed < 10, "%d fixed points: not shuffled", fixed);
    sent_permutation(b, N, 6);
    CHECK(memcmp(a, b, sizeof a) != 0);
}

// The shared split: on labelled data it is the plain permutation (what the first model used);
// unlabelled rows added before or after leave the same reviews in validation, so a teacher and a
// distilled student never see the first model's validation reviews.
static void test_split(void) {
    enum { N = 200, U = 70 };
    int32_t labels[N + U], order[N + U], alone[N], perm[N], n_usable;
    for (int i = 0; i < N; i++) labels[i] = i % 2;
    int n_valid = sent_split_rows(labels, N, 0, 30, 2024, alone, &n_usable);
    sent_permutation(perm, N, 2024);
    CHECK(n_valid == 30 && n_usable == N && !memcmp(alone, perm, sizeof perm));
    CHECK(sent_split_rows(labels, N, 0, 5000, 2024, order, &n_usable) == N / 2);   // at most half

    for (int i = 0; i < U; i++) labels[i] = -1;   // unlabelled rows first, then the same N
    for (int i = 0; i < N; i++) labels[U + i] = i % 2;
    CHECK(sent_split_rows(labels, N + U, 0, 30, 2024, order, &n_usable) == 30 && n_usable == N);
    int same = 1;
    for (int i = 0; i < N; i++) same &= order[i] == alone[i] + U;
    CHECK_MSG(same, "unlabelled rows in front moved the split");
    for (int i = 0; i < N; i++) labels[i] = i % 2;   // and after
    for (int i = 0; i < U; i++) labels[N + i] = -1;
    sent_split_rows(labels, N + U, 0, 30, 2024, order, &n_usable);
    CHECK(!memcmp(order, alone, sizeof alone));
    // pretraining: every row but the same 30 labelled validation rows trains
    CHECK(sent_split_rows(labels, N + U, 1, 30, 2024, order, &n_usable) == 30 && n_usable == N + U);
    CHECK(!memcmp(order + N + U - 30, alone + N - 30, 30 * sizeof(int32_t)));
    int count[N + U] = {0}, each_once = 1;
    for (int i = 0; i < N + U; i++) count[order[i]]++;
    for (int i = 0; i < N + U; i++) each_once &= count[i] == 1;
    CHECK(each_once);
    for (int i = 0; i < N + U; i++) labels[i] = -1;   // texts alone: validation drawn from all rows
    CHECK(sent_split_rows(labels, N + U, 1, 30, 2024, order, &n_usable) == 30 && n_usable == N + U);
}

static void test_gather_and_mask(void) {
    enum { B = 64, T = 40, V = 30522, MASK = 103 };
    SentTokenRows rows = {.n = B, .T = T};
    rows.ids = calloc((size_t)B * T, sizeof(int32_t));
    rows.lens = calloc(B, sizeof(int32_t));
    rows.labels = calloc(B, sizeof(int32_t));
    for (int r = 0; r < B; r++) {
        rows.lens[r] = 3 + r % (T - 2);   // 3..T
        rows.labels[r] = r % 2;
        rows.ids[r * T] = 101;
        for (int t = 1; t < rows.lens[r] - 1; t++) rows.ids[r * T + t] = 2000 + r * T + t;
        rows.ids[r * T + rows.lens[r] - 1] = 102;
    }
    int32_t index[B], ids[B * T], labels[B], orig[B * T];
    uint8_t mask[B * T];
    for (int b = 0; b < B; b++) index[b] = B - 1 - b;
    CHECK(sent_batch_gather(&rows, index, B, ids, mask, labels) == T);   // the longest row fills T
    int gather_ok = 1;
    for (int b = 0; b < B; b++) {
        int r = index[b];
        gather_ok &= labels[b] == rows.labels[r] && !memcmp(ids + b * T, rows.ids + r * T, T * sizeof(int32_t));
        for (int t = 0; t < T; t++) gather_ok &= mask[b * T + t] == (t < rows.lens[r]);
    }
    CHECK(gather_ok);

    // a batch of short rows (lengths 3..10) is cut to 16 columns, the next multiple of 8
    int32_t short_index[8];
    for (int b = 0; b < 8; b++) short_index[b] = 7 - b;
    int Tb = sent_batch_gather(&rows, short_index, 8, ids, mask, labels);
    CHECK_MSG(Tb == 16, "short batch of %d columns", Tb);
    int short_ok = 1;
    for (int b = 0; b < 8; b++) {
        int r = short_index[b];
        short_ok &= !memcmp(ids + b * Tb, rows.ids + r * T, (size_t)Tb * sizeof(int32_t));
        for (int t = 0; t < Tb; t++) short_ok &= mask[b * Tb + t] == (t < rows.lens[r]);
    }
    CHECK(short_ok);
    sent_batch_gather(&rows, index, B, ids, mask, labels);   // the full batch again, for the masking below

    memcpy(orig, ids, sizeof ids);
    int32_t mrows[B * T], targets[B * T];
    int M = sent_mlm_mask(ids, mask, B, T, 0.15f, MASK, 999, V, 77, mrows, targets, B * T);
    int expected = 0;
    for (int b = 0; b < B; b++) {
        int n_cand = rows.lens[index[b]] - 2, n = (int)(0.15f * n_cand + 0.5f);
        expected += n < 1 ? 1 : n;
    }
    CHECK_MSG(M == expected, "%d masked, expected %d", M, expected);
    int placement_ok = 1, n_mask = 0, n_random = 0, n_keep = 0;
    for (int i = 0; i < M; i++) {
        int b = mrows[i] / T, t = mrows[i] % T, len = rows.lens[index[b]];
        placement_ok &= t >= 1 && t <= len - 2 && targets[i] == orig[mrows[i]];
        for (int j = 0; j < i; j++) placement_ok &= mrows[j] != mrows[i];   // no position twice
        if (ids[mrows[i]] == MASK) n_mask++;
        else if (ids[mrows[i]] == orig[mrows[i]]) n_keep++;
        else n_random++, placement_ok &= ids[mrows[i]] >= 999 && ids[mrows[i]] < V;
    }
    CHECK(placement_ok);
    // untouched elsewhere
    int others_ok = 1;
    for (int i = 0; i < B * T; i++) {
        int masked = 0;
        for (int j = 0; j < M; j++) masked |= mrows[j] == i;
        if (!masked) others_ok &= ids[i] == orig[i];
    }
    CHECK(others_ok);
    printf("  %d masked: %d [MASK], %d random, %d kept\n", M, n_mask, n_random, n_keep);
    CHECK(n_mask > 0.65 * M && n_mask < 0.95 * M && n_random > 0 && n_keep > 0);
    // capped by max_masked
    memcpy(ids, orig, sizeof ids);
    CHECK(sent_mlm_mask(ids, mask, B, T, 0.15f, MASK, 999, V, 77, mrows, targets, 5) == 5);
    free(rows.ids), free(rows.lens), free(rows.labels);
}

static void test_learning_rate(void) {
    SentTrainOptions o;
    sent_train_default_options(&o);
    o.lr = 1.0f, o.warmup_steps = 10, o.min_lr_ratio = 0.1f;
    long total = 110;
    CHECK_NEAR(sent_train_learning_rate(&o, 0, total), 0.1, 1e-6);    // warmup: (step + 1) / 10
    CHECK_NEAR(sent_train_learning_rate(&o, 9, total), 1.0, 1e-6);
    CHECK_NEAR(sent_train_learning_rate(&o, 10, total), 1.0, 1e-6);   // peak, then decay
    CHECK_NEAR(sent_train_learning_rate(&o, 60, total), 0.55, 1e-6);  // linear: halfway to 0.1
    CHECK_NEAR(sent_train_learning_rate(&o, 110, total), 0.1, 1e-6);
    o.cosine = 1;
    CHECK_NEAR(sent_train_learning_rate(&o, 60, total), 0.55, 1e-6);  // cosine meets linear halfway
    CHECK_NEAR(sent_train_learning_rate(&o, 35, total), 0.1 + 0.9 * 0.5 * (1 + cos(M_PI * 0.25)), 1e-6);
    CHECK_NEAR(sent_train_learning_rate(&o, 110, total), 0.1, 1e-6);
    int monotone = 1;
    for (long s = 11; s <= total; s++) monotone &= sent_train_learning_rate(&o, s, total) <= sent_train_learning_rate(&o, s - 1, total);
    CHECK(monotone);
}

// Bucketing keeps every row exactly once, makes batches of similar lengths, and is deterministic.
static void test_bucket_by_length(void) {
    enum { N = 960, B = 16, N_BATCHES = N / B };
    int32_t lens[N], order[N], again[N], scratch[N + N_BATCHES];
    for (int i = 0; i < N; i++) lens[i] = 3 + (int)(uniform01(99, (uint64_t)i) * 500);
    sent_permutation(order, N, 5);
    memcpy(again, order, sizeof order);
    double spread_before = 0, spread_after = 0;
    for (int k = 0; k < N_BATCHES; k++) {
        int lo = 1 << 30, hi = 0;
        for (int b = 0; b < B; b++) lo = lens[order[k * B + b]] < lo ? lens[order[k * B + b]] : lo, hi = lens[order[k * B + b]] > hi ? lens[order[k * B + b]] : hi;
        spread_before += hi - lo;
    }
    sent_bucket_by_length(order, N_BATCHES, B, 20, lens, 7, scratch);
    int seen[N] = {0}, once = 1;
    for (int i = 0; i < N; i++) seen[order[i]]++;
    for (int i = 0; i < N; i++) once &= seen[i] == 1;
    CHECK(once);
    for (int k = 0; k < N_BATCHES; k++) {
        int lo = 1 << 30, hi = 0;
        for (int b = 0; b < B; b++) lo = lens[order[k * B + b]] < lo ? lens[order[k * B + b]] : lo, hi = lens[order[k * B + b]] > hi ? lens[order[k * B + b]] : hi;
        spread_after += hi - lo;
    }
    CHECK_MSG(spread_after < spread_before / 8, "mean longest - shortest per batch %.1f before, %.1f after",
              spread_before / N_BATCHES, spread_after / N_BATCHES);
    sent_bucket_by_length(again, N_BATCHES, B, 20, lens, 7, scratch);
    CHECK(!memcmp(order, again, sizeof order));
    int32_t sorted[5] = {4, 0, 3, 1, 2}, sorted_lens[5] = {9, 2, 9, 1, 5};
    sent_sort_by_length(sorted, 5, sorted_lens);
    CHECK(sorted[0] == 3 && sorted[1] == 1 && sorted[2] == 4 && sorted[3] == 0 && sorted[4] == 2);
}

// --imdb-per-epoch: each epoch takes n_sample distinct rows of the pool, a new draw per epoch, and
// every other row once; with the whole pool it is the plain shuffle of every row.
static void test_epoch_rows(void) {
    enum { POOL = 50, SAMPLE = 12, REST = 9, N = POOL + REST };
    int32_t train_index[N], order[N], scratch[N], picked[N];
    int in_epoch[2][N] = {{0}};   // [epoch, row] 1 when the epoch holds the row
    for (int i = 0; i < N; i++) train_index[i] = 1000 + i;
    for (int epoch = 0; epoch < 2; epoch++) {
        sent_epoch_rows(order, train_index, POOL, SAMPLE, REST, 77 + epoch, 99 + epoch, scratch, picked);
        int from_pool = 0, distinct = 1, rest_all = 1;
        for (int i = 0; i < SAMPLE + REST; i++) {
            int r = order[i] - 1000;
            if (r < 0 || r >= N || in_epoch[epoch][r]) distinct = 0;
            else in_epoch[epoch][r] = 1, from_pool += r < POOL;
        }
        for (int r = POOL; r < N; r++) rest_all &= in_epoch[epoch][r];
        CHECK_MSG(distinct && from_pool == SAMPLE && rest_all, "epoch %d: %d pool rows, distinct %d, every other row %d",
                  epoch, from_pool, distinct, rest_all);
    }
    int same_pool_rows = 1;   // the second epoch draws other pool rows (the same 12 of 50: ~1e-11)
    for (int r = 0; r < POOL; r++) same_pool_rows &= in_epoch[0][r] == in_epoch[1][r];
    CHECK(!same_pool_rows);
    sent_epoch_rows(order, train_index, POOL, POOL + 5, REST, 1, 99, scratch, picked);
    int32_t plain[N];
    sent_permutation(plain, N, 99);
    int is_plain = 1;
    for (int i = 0; i < N; i++) is_plain &= order[i] == train_index[plain[i]];
    CHECK(is_plain);
}

int main(void) {
    test_learning_rate();
    test_unescape();
    test_read_sample();
    test_read_aclimdb_folder();
    test_permutation();
    test_gather_and_mask();
    test_split();
    test_bucket_by_length();
    test_epoch_rows();
    return check_summary("test_train_data");
}
