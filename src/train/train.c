// The training loop, read top to bottom: data → split → model → (resume) → steps → validation,
// checkpoints and exports. Step s uses batch (s mod steps_per_epoch) of epoch s / steps_per_epoch,
// whose order is a permutation seeded by (seed, epoch); dropout and MLM masks are seeded by
// (seed, s). So the step counter alone says where a run is, and a resumed run is exact.
#include "train/train.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "train/data.h"
#include "train/embed.h"
#include "train/export_hf.h"
#include "train/import_smf.h"
#include "train/rng.h"
#include "train/sst2.h"
#include "util.h"

void sent_train_default_options(SentTrainOptions *o) {
    memset(o, 0, sizeof *o);
    snprintf(o->task, sizeof o->task, "finetune");
    o->model = (SentDistilBertConfig){.vocab_size = 30522, .max_position_embeddings = 512, .n_layers = 4,
                                      .dim = 256, .n_heads = 4, .hidden_dim = 1024, .n_labels = 2};
    o->seq_len = 256;
    o->head_tokens = 64;
    o->batch = 32;
    o->epochs = 3;
    o->warmup_steps = 200;
    o->log_every = 10;
    o->checkpoint_every = 200;
    o->valid_size = 2500;
    o->threads = 1;
    o->lr = 5e-4f;
    o->min_lr_ratio = 0.0f;
    o->weight_decay = 0.01f;
    o->beta1 = 0.9f;
    o->beta2 = 0.999f;
    o->adam_eps = 1e-8f;
    o->clip_norm = 1.0f;
    o->dropout = 0.1f;
    o->cls_dropout = 0.2f;
    o->mask_prob = 0.15f;
    o->seed = 1337;
    o->split_seed = 2024;
    o->distill_alpha = 0.5f;
    o->bucket_batches = 50;
}

// BERT uncased vocabulary facts the masking needs.
#define MASK_TOKEN "[MASK]"
#define FIRST_PLAIN_TOKEN 999   // ids below are [PAD], [unusedN], [UNK], [CLS], [SEP], [MASK]

float sent_train_learning_rate(const SentTrainOptions *o, long step, long total) {
    if (step < o->warmup_steps) return o->lr * (float)(step + 1) / (float)o->warmup_steps;
    double progress = total > o->warmup_steps ? (double)(step - o->warmup_steps) / (double)(total - o->warmup_steps) : 1.0;
    double decay = o->cosine ? 0.5 * (1.0 + cos(M_PI * progress)) : 1.0 - progress;
    return (float)(o->lr * (o->min_lr_ratio + (1.0 - o->min_lr_ratio) * decay));
}

static void format_duration(char *buf, size_t size, double seconds) {
    long s = (long)(seconds + 0.5);
    if (s >= 3600) snprintf(buf, size, "%ldh%02ldm", s / 3600, s / 60 % 60);
    else snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
}

// A one-line progress bar (on a terminal) or a plain line every log_every steps (in a log file).
static void report_progress(const SentTrainOptions *o, long step, long total, int epoch, int epochs,
                            float loss, float lr, float norm, double tok_s, double gflops, double eta) {
    char eta_text[32];
    format_duration(eta_text, sizeof eta_text, eta);
    if (isatty(fileno(stderr))) {
        char bar[31];
        int filled = (int)(30.0 * (double)step / (double)total);
        for (int i = 0; i < 30; i++) bar[i] = i < filled ? '=' : (i == filled ? '>' : ' ');
        bar[30] = '\0';
        fprintf(stderr, "\repoch %d/%d [%s] step %ld/%ld loss %.4f lr %.2e | %.0f tok/s %.1f GFLOP/s | ETA %s  ",
                epoch + 1, epochs, bar, step, total, loss, lr, tok_s, gflops, eta_text);
        if (step == total) fputc('\n', stderr);
    } else if (step % o->log_every == 0 || step == total) {
        fprintf(stderr, "epoch %d/%d step %ld/%ld loss %.4f lr %.2e grad-norm %.3f | %.0f tok/s %.1f GFLOP/s | ETA %s\n",
                epoch + 1, epochs, step, total, loss, lr, norm, tok_s, gflops, eta_text);
    }
}

typedef struct {
    double loss;
    double accuracy;   // classification accuracy, or masked-token accuracy for MLM
} EvalResult;

static int argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

// Mean loss and accuracy over index[0..n), in batches, without dropout. The MLM masks use a fixed
// seed so every validation pass sees the same masked positions.
static EvalResult evaluate(SentBert *model, const SentTokenRows *rows, const int32_t *index, int n,
                           int mlm, const SentTrainOptions *o, int mask_id, int32_t *ids, uint8_t *mask,
                           int32_t *labels, int32_t *mlm_rows, int32_t *mlm_targets) {
    double loss_sum = 0;
    long correct = 0, count = 0;
    int B_max = model->B_max, V = model->config.vocab_size;
    for (int start = 0; start < n; start += B_max) {
        int B = n - start < B_max ? n - start : B_max;
        int T = sent_batch_gather(rows, index + start, B, ids, mask, labels);
        sent_bert_set_seq_len(model, T);
        if (mlm) {
            int M = sent_mlm_mask(ids, mask, B, T, o->mask_prob, mask_id, FIRST_PLAIN_TOKEN, V,
                                  hash_u64(o->seed ^ 0x5EED) + (uint64_t)start, mlm_rows, mlm_targets, model->M_max);
            if (M == 0) continue;
            loss_sum += sent_bert_forward_mlm(model, ids, mask, mlm_rows, mlm_targets, B, M, 0, 0) * M;
            for (int i = 0; i < M; i++)
                correct += argmax(model->acts.mlm_logits + (size_t)i * V, V) == mlm_targets[i];
            count += M;
        } else {
            loss_sum += sent_bert_forward_classify(model, ids, mask, labels, B, 0, 0) * B;
            for (int b = 0; b < B; b++) correct += argmax(model->acts.logits + b * model->config.n_labels, model->config.n_labels) == labels[b];
            count += B;
        }
    }
    return (EvalResult){count ? loss_sum / count : 0, count ? (double)correct / count : 0};
}

static void make_dir(const char *dir) {
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "error: cannot create %s (%s)\n", dir, strerror(errno));
        exit(EXIT_FAILURE);
    }
}

SentTokenizer *sent_train_load_rows(const SentTrainOptions *o, SentTokenRows *rows) {
    char path[4096];
    make_dir(o->out_dir);   // the token cache goes there, and every stage's outputs after it
    size_t vocab_len;
    char *vocab_text = sent_read_file(o->vocab, &vocab_len);
    if (!vocab_text) {
        fprintf(stderr, "error: cannot read vocab %s (%s)\n", o->vocab, strerror(errno));
        return NULL;
    }
    char err[256];
    SentTokenizer *tok = sent_tokenizer_new(vocab_text, vocab_len, err, sizeof err);
    free(vocab_text);
    if (!tok) {
        fprintf(stderr, "error: vocab %s: %s\n", o->vocab, err);
        return NULL;
    }
    if (sent_tokenizer_vocab_size(tok) != o->model.vocab_size) {
        fprintf(stderr, "error: the vocab has %d tokens but the model %d\n", sent_tokenizer_vocab_size(tok), o->model.vocab_size);
        return NULL;
    }
    double t0 = sent_now_seconds();
    SentReviews reviews;
    sent_reviews_read(&reviews, o->data);
    uint64_t data_key = hash_u64((uint64_t)o->seq_len * 1000003u + (uint64_t)o->head_tokens);
    for (const char *c = o->data; *c; c++) data_key = hash_u64(data_key ^ (uint8_t)*c);
    snprintf(path, sizeof path, "%s/tokens-%016llx.bin", o->out_dir, (unsigned long long)data_key);
    sent_token_rows_build(rows, &reviews, tok, o->seq_len, o->head_tokens, path);
    sent_reviews_free(&reviews);
    long n_real_tokens = 0, n_truncated = 0;
    for (int i = 0; i < rows->n; i++) n_real_tokens += rows->lens[i];
    for (int i = 0; i < rows->n; i++) n_truncated += rows->lens[i] == rows->T;
    fprintf(stderr, "data: %d reviews, %.1f tokens each on average, %.1f%% filling all %d (%.1f s)\n",
            rows->n, (double)n_real_tokens / rows->n, 100.0 * n_truncated / rows->n, rows->T, sent_now_seconds() - t0);

    return tok;
}

// Starts model from a checkpoint's weights, or from a model file's (.smf). A checkpoint with another number of positions (e.g.
// embeddings trained for a 256-token model, used by a 512-token one) gives every tensor but the
// position embeddings whole, and the positions both models have; the others keep a fresh start.
static void init_from_checkpoint(SentBert *model, const char *path, uint64_t seed, long *step, double *elapsed) {
    if (sent_is_model_file(path)) {   // a shipped .smf: its weights, a fresh MLM head, step 0
        char err[512];
        sent_bert_init(model, seed);
        if (sent_bert_import_model_file(model, path, err, sizeof err) != 0) {
            fprintf(stderr, "error: --init %s: %s\n", path, err);
            exit(EXIT_FAILURE);
        }
        *step = 0, *elapsed = 0;
        return;
    }
    SentTrainOptions stored;
    sent_checkpoint_load(path, &stored, NULL, step, elapsed, 0);
    SentDistilBertConfig want = model->config, other_positions = stored.model;
    other_positions.max_position_embeddings = want.max_position_embeddings;
    if (stored.model.max_position_embeddings == want.max_position_embeddings ||
        !sent_distilbert_config_same(&other_positions, &want)) {
        sent_checkpoint_load(path, NULL, model, step, elapsed, 0);   // same shape, or an error naming the mismatch
        return;
    }
    SentBert source;
    sent_bert_build(&source, stored.model, 1, 1, 0);   // parameters only: one token of activations
    sent_checkpoint_load(path, NULL, &source, step, elapsed, 0);
    sent_bert_init(model, seed);
    size_t src_offset = 0, dst_offset = 0;
    for (int i = 0; i < SENT_BERT_NUM_PARAMS; i++) {
        size_t n = source.param_sizes[i] < model->param_sizes[i] ? source.param_sizes[i] : model->param_sizes[i];
        memcpy(model->params_memory + dst_offset, source.params_memory + src_offset, n * sizeof(float));
        src_offset += source.param_sizes[i], dst_offset += model->param_sizes[i];
    }
    fprintf(stderr, "%s has %d positions and this model %d: %d position embeddings copied\n", path,
            stored.model.max_position_embeddings, want.max_position_embeddings,
            (int)((source.param_sizes[1] < model->param_sizes[1] ? source.param_sizes[1] : model->param_sizes[1]) /
                  want.dim));
    sent_bert_free(&source);
}

int sent_train_run(SentTrainOptions *o, int resume) {
    char path[4096];
    int mlm = !strcmp(o->task, "pretrain");
    omp_set_num_threads(o->threads);

    // --- tokenizer and data
    SentTokenRows rows;
    SentTokenizer *tok = sent_train_load_rows(o, &rows);
    if (!tok) return 1;
    int mask_id = sent_tokenizer_token_id(tok, MASK_TOKEN);

    // --- split: a fixed validation set carved out by split_seed; fine-tuning uses labelled rows only
    int32_t *order = mallocCheck((size_t)rows.n * sizeof(int32_t));
    int n_usable;
    int n_valid = sent_split_rows(rows.labels, rows.n, mlm, o->valid_size, o->split_seed, order, &n_usable);
    int n_train = n_usable - n_valid;
    int32_t *valid_index = order + n_train;
    int n_mlm_valid = n_valid < 1000 ? n_valid : 1000;   // MLM validation: a fixed slice
    // evaluation order does not change a mean, and batches of similar lengths run faster; the MLM
    // slice is taken first so it stays the same reviews
    sent_sort_by_length(valid_index, (size_t)(mlm ? n_mlm_valid : n_valid), rows.lens);
    // SST-2 (--sst2): its rows go after the reviews, held-out ones first; the IMDb split above is
    // unchanged by them
    int n_imdb = rows.n, n_sst2_valid = 0, n_sst2_train = 0;
    int32_t *sst2_valid_index = NULL;
    if (o->sst2[0]) {
        SentTokenRows sst2;
        sent_sst2_token_rows(o->sst2, tok, o->seq_len, o->head_tokens, &sst2, &n_sst2_valid);
        n_sst2_train = sst2.n - n_sst2_valid;
        sent_token_rows_append(&rows, &sst2);
        sent_token_rows_free(&sst2);
        sst2_valid_index = mallocCheck((size_t)(n_sst2_valid > 0 ? n_sst2_valid : 1) * sizeof(int32_t));
        for (int i = 0; i < n_sst2_valid; i++) sst2_valid_index[i] = n_imdb + i;
        sent_sort_by_length(sst2_valid_index, (size_t)n_sst2_valid, rows.lens);
    }
    // distillation: the teacher labels every row, so the unlabelled ones join the training rows
    int32_t *train_index = mallocCheck((size_t)rows.n * sizeof(int32_t));
    memcpy(train_index, order, (size_t)n_train * sizeof(int32_t));
    float *teacher_p = NULL;   // [rows.n] the teacher's P(positive)
    if (o->teacher[0] && !mlm) {
        if (o->model.n_labels != 2) {
            fprintf(stderr, "error: a teacher gives P(positive); the model has %d labels\n", o->model.n_labels);
            return 1;
        }
        teacher_p = sent_teacher_labels_read(o->teacher, o->data, n_imdb);
        if (n_imdb < rows.n) {   // SST-2 rows have no teacher: their own label stands in for it
            teacher_p = reallocCheck(teacher_p, (size_t)rows.n * sizeof(float));
            for (int i = n_imdb; i < rows.n; i++) teacher_p[i] = (float)(rows.labels[i] == 1);
        }
        int n_labelled_train = n_train;
        for (int i = 0; i < rows.n; i++)
            if (rows.labels[i] < 0) train_index[n_train++] = i;
        long agree = 0;
        for (int i = 0; i < n_labelled_train; i++) agree += (teacher_p[order[i]] > 0.5f) == (rows.labels[order[i]] == 1);
        fprintf(stderr, "distillation: %d labelled + %d unlabelled training reviews; teacher %s agrees with %.2f%% "
                        "of the training labels; alpha %.2f\n", n_labelled_train, n_train - n_labelled_train,
                o->teacher, 100.0 * agree / (n_labelled_train ? n_labelled_train : 1), o->distill_alpha);
    }
    for (int i = 0; i < n_sst2_train; i++) train_index[n_train++] = n_imdb + n_sst2_valid + i;
    if (o->sst2[0])
        fprintf(stderr, "sst2: %d training rows join the %d IMDb ones; %d validate separately\n", n_sst2_train,
                n_train - n_sst2_train, n_sst2_valid);
    // train_index: the IMDb training rows, then the SST-2 ones; an epoch takes n_imdb_epoch of the former
    int n_imdb_train = n_train - n_sst2_train;
    int n_imdb_epoch = o->imdb_per_epoch > 0 && o->imdb_per_epoch < n_imdb_train ? o->imdb_per_epoch : n_imdb_train;
    int n_epoch_rows = n_imdb_epoch + n_sst2_train;
    if (n_imdb_epoch < n_imdb_train)
        fprintf(stderr, "each epoch: %d of the %d IMDb training rows (drawn per epoch) and the %d SST-2 ones\n",
                n_imdb_epoch, n_imdb_train, n_sst2_train);
    int steps_per_epoch = n_epoch_rows / o->batch;
    if (steps_per_epoch < 1) {
        fprintf(stderr, "error: %d training reviews are fewer than one batch of %d\n", n_epoch_rows, o->batch);
        return 1;
    }
    long total_steps = o->max_steps > 0 ? o->max_steps : (long)o->epochs * steps_per_epoch;
    int epochs = (int)((total_steps + steps_per_epoch - 1) / steps_per_epoch);
    fprintf(stderr, "split: %d train, %d validation; %d steps per epoch, %ld steps (%d epochs)\n",
            n_train, n_valid, steps_per_epoch, total_steps, epochs);

    // --- model
    int B = o->batch, T = o->seq_len;
    int M_max = mlm ? B * ((int)(o->mask_prob * (T - 2) + 0.5f) + 1) : 0;   // [M,V] logits: MLM only
    SentBert model;
    sent_bert_build(&model, o->model, B, T, M_max);
    model.dropout = o->dropout;
    model.cls_dropout = o->cls_dropout;
    long step = 0;
    double elapsed = 0;
    snprintf(path, sizeof path, "%s/checkpoint.bin", o->out_dir);
    if (resume) {
        sent_checkpoint_load(path, NULL, &model, &step, &elapsed, 1);
        fprintf(stderr, "resumed %s at step %ld\n", path, step);
    } else if (o->init[0]) {
        long init_step;
        double init_elapsed;
        init_from_checkpoint(&model, o->init, o->seed, &init_step, &init_elapsed);
        fprintf(stderr, "initialised from %s (its step %ld)\n", o->init, init_step);
    } else {
        sent_bert_init(&model, o->seed);
    }
    fprintf(stderr, "model: %d layers, dim %d, %d heads, hidden %d, %.2fM parameters (%.2fM without embeddings)\n",
            o->model.n_layers, o->model.dim, o->model.n_heads, o->model.hidden_dim, model.num_params / 1e6,
            (model.num_params - model.param_sizes[0] - model.param_sizes[1] - model.param_sizes[24]) / 1e6);

    // --- buffers for one batch (nothing is allocated inside the loop)
    int32_t *ids = mallocCheck((size_t)B * T * sizeof(int32_t)), *labels = mallocCheck((size_t)B * sizeof(int32_t));
    uint8_t *mask = mallocCheck((size_t)B * T);
    int32_t *mlm_rows = mallocCheck((size_t)M_max * sizeof(int32_t)), *mlm_targets = mallocCheck((size_t)M_max * sizeof(int32_t));
    float *soft_targets = mallocCheck((size_t)B * o->model.n_labels * sizeof(float));   // [B,NL] distillation
    int32_t *epoch_order = mallocCheck((size_t)n_train * sizeof(int32_t)), *shuffle = mallocCheck((size_t)n_train * sizeof(int32_t));
    int32_t *epoch_pool = mallocCheck((size_t)n_train * sizeof(int32_t));
    int32_t *bucket_scratch = mallocCheck(((size_t)n_train + steps_per_epoch) * sizeof(int32_t));

    snprintf(path, sizeof path, "%s/log.csv", o->out_dir);
    FILE *log_csv = fopenCheck(path, resume ? "a" : "w");
    // with SST-2, two more columns: its validation loss and accuracy
    const char *sst2_columns = o->sst2[0] ? ",sst2_valid_loss,sst2_valid_accuracy" : "";
    const char *sst2_blank = o->sst2[0] ? ",," : "";
    if (!resume)
        fprintf(log_csv, "step,epoch,loss,lr,grad_norm,tokens_per_s,gflops,valid_loss,valid_accuracy,train_accuracy%s\n",
                sst2_columns);

    int current_epoch = -1;
    long correct = 0, seen = 0;
    double window_start = sent_now_seconds(), run_start = window_start - elapsed, session_start = window_start;
    long start_step = step;
    long window_tokens = 0;
    double window_flops = 0;
    while (step < total_steps) {
        int epoch = (int)(step / steps_per_epoch), pos = (int)(step % steps_per_epoch);
        if (epoch != current_epoch) {
            sent_epoch_rows(epoch_order, train_index, n_imdb_train, n_imdb_epoch, n_sst2_train,
                            hash_u64(o->seed + 0x1DB0 * (uint64_t)(epoch + 1)),
                            hash_u64(o->seed + 0xE90C * (uint64_t)(epoch + 1)), shuffle, epoch_pool);
            sent_bucket_by_length(epoch_order, steps_per_epoch, B, o->bucket_batches, rows.lens,
                                  hash_u64(o->seed + 0xB0C7 * (uint64_t)(epoch + 1)), bucket_scratch);
            current_epoch = epoch;
            correct = seen = 0;
        }
        const int32_t *batch_rows = epoch_order + (size_t)pos * B;   // [B]
        int Tb = sent_batch_gather(&rows, batch_rows, B, ids, mask, labels);   // ids, mask: [B,Tb]
        sent_bert_set_seq_len(&model, Tb);
        uint64_t step_seed = hash_u64(o->seed ^ (0xD00Dull << 32) ^ (uint64_t)step);
        float loss;
        int M = 0;
        if (mlm) {
            M = sent_mlm_mask(ids, mask, B, Tb, o->mask_prob, mask_id, FIRST_PLAIN_TOKEN, o->model.vocab_size,
                              step_seed, mlm_rows, mlm_targets, M_max);
            loss = sent_bert_forward_mlm(&model, ids, mask, mlm_rows, mlm_targets, B, M, 1, step_seed);
        } else if (teacher_p) {
            // target: alpha * label + (1 - alpha) * teacher where the label is known, else the teacher
            for (int b = 0; b < B; b++) {
                float a = labels[b] >= 0 ? o->distill_alpha : 0.0f;
                float p_pos = (1 - a) * teacher_p[batch_rows[b]] + a * (float)(labels[b] == 1);
                soft_targets[2 * b] = 1 - p_pos, soft_targets[2 * b + 1] = p_pos;
            }
            loss = sent_bert_forward_classify_soft(&model, ids, mask, soft_targets, B, 1, step_seed);
        } else {
            loss = sent_bert_forward_classify(&model, ids, mask, labels, B, 1, step_seed);
        }
        if (!mlm)
            for (int b = 0; b < B; b++)   // train accuracy over the labelled rows of the batch
                if (labels[b] >= 0)
                    seen++, correct += argmax(model.acts.logits + b * o->model.n_labels, o->model.n_labels) == labels[b];
        sent_bert_zero_grad(&model);
        sent_bert_backward(&model, mlm);
        float norm = sent_bert_grad_norm(&model);
        float scale = o->clip_norm > 0 && norm > o->clip_norm ? o->clip_norm / norm : 1.0f;
        float lr = sent_train_learning_rate(o, step, total_steps);
        sent_bert_adamw_update(&model, lr, o->beta1, o->beta2, o->adam_eps, o->weight_decay, scale, (int)step + 1);
        if (!isfinite(loss)) {
            fprintf(stderr, "\nerror: loss is %f at step %ld; stopping (the last checkpoint is intact)\n", loss, step);
            return 1;
        }
        step++;

        for (int i = 0; i < B * Tb; i++) window_tokens += mask[i];
        window_flops += sent_bert_flops_per_step(&model, B, M);
        double now = sent_now_seconds();
        double tok_s = window_tokens / (now - window_start), gflops = window_flops / (now - window_start) / 1e9;
        double eta = (now - session_start) / (double)(step - start_step) * (double)(total_steps - step);
        report_progress(o, step, total_steps, epoch, epochs, loss, lr, norm, tok_s, gflops, eta);
        if (step % o->log_every == 0) {
            fprintf(log_csv, "%ld,%d,%.5f,%.4e,%.4f,%.0f,%.2f,,,%s\n", step, epoch + 1, loss, lr, norm, tok_s, gflops,
                    sst2_blank);
            fflush(log_csv);
            window_start = now, window_tokens = 0, window_flops = 0;
        }

        int epoch_done = step % steps_per_epoch == 0 || step == total_steps;
        if (epoch_done) {
            EvalResult v = evaluate(&model, &rows, valid_index, mlm ? n_mlm_valid : n_valid, mlm, o, mask_id, ids,
                                    mask, labels, mlm_rows, mlm_targets);
            double minutes = (sent_now_seconds() - run_start) / 60;
            if (mlm)
                fprintf(stderr, "\nepoch %d: valid MLM loss %.4f, masked-token accuracy %.2f%% (%.1f min)\n", epoch + 1,
                        v.loss, 100 * v.accuracy, minutes);
            else
                fprintf(stderr, "\nepoch %d: train accuracy %.2f%% (with dropout), valid loss %.4f, valid accuracy %.2f%% (%.1f min)\n",
                        epoch + 1, 100.0 * correct / (seen ? seen : 1), v.loss, 100 * v.accuracy, minutes);
            fprintf(log_csv, "%ld,%d,,,,,,%.5f,%.5f,%.5f", step, epoch + 1, v.loss, v.accuracy,
                    mlm ? 0.0 : (double)correct / (seen ? seen : 1));
            if (sst2_valid_index) {
                EvalResult sv = evaluate(&model, &rows, sst2_valid_index, n_sst2_valid, mlm, o, mask_id, ids, mask,
                                         labels, mlm_rows, mlm_targets);
                fprintf(stderr, "epoch %d: SST-2 valid loss %.4f, valid %s %.2f%% (%d held-out sentences)\n", epoch + 1,
                        sv.loss, mlm ? "masked-token accuracy" : "accuracy", 100 * sv.accuracy, n_sst2_valid);
                fprintf(log_csv, ",%.5f,%.5f", sv.loss, sv.accuracy);
            }
            fputc('\n', log_csv);
            fflush(log_csv);
            // hf/ is always the latest; hf-epochN/ stay, so the epoch with the best validation
            // score can be chosen afterwards.
            snprintf(path, sizeof path, "%s/hf", o->out_dir);
            sent_export_hf(&model, path, o->vocab, mlm);
            snprintf(path, sizeof path, "%s/hf-epoch%d", o->out_dir, epoch + 1);
            sent_export_hf(&model, path, o->vocab, mlm);
            fprintf(stderr, "exported %s/hf and %s\n", o->out_dir, path);
        }
        if (epoch_done || step % o->checkpoint_every == 0) {
            snprintf(path, sizeof path, "%s/checkpoint.bin", o->out_dir);
            sent_checkpoint_save(path, o, &model, step, sent_now_seconds() - run_start);
        }
    }
    fprintf(stderr, "done: %ld steps in %.1f min\n", step, (sent_now_seconds() - run_start) / 60);

    fclose(log_csv);
    free(ids), free(labels), free(mask), free(mlm_rows), free(mlm_targets), free(epoch_order), free(shuffle), free(epoch_pool), free(order);
    free(bucket_scratch);
    free(train_index), free(teacher_p), free(soft_targets), free(sst2_valid_index);
    sent_token_rows_free(&rows);
    sent_bert_free(&model);
    sent_tokenizer_free(tok);
    return 0;
}

int sent_train_embed(SentTrainOptions *o, const SentEmbedOptions *e, float embed_std) {
    char path[4096];
    double t0 = sent_now_seconds();
    SentTokenRows rows;
    SentTokenizer *tok = sent_train_load_rows(o, &rows);
    if (!tok) return 1;

    // every row but the labelled validation reviews, so validation stays unseen in every stage
    int32_t *order = mallocCheck((size_t)rows.n * sizeof(int32_t));
    int n_usable;
    int n_rows = rows.n - sent_split_rows(rows.labels, rows.n, 1, o->valid_size, o->split_seed, order, &n_usable);

    // a fresh model whose word embeddings are replaced by the trained vectors
    SentBert model;
    sent_bert_build(&model, o->model, 1, 1, 0);   // parameters only: reviews may exceed its positions
    sent_bert_init(&model, o->seed);
    const int V = o->model.vocab_size, C = o->model.dim;
    float *vectors = mallocCheck((size_t)V * C * sizeof(float));   // [V,C]
    int64_t *counts = mallocCheck((size_t)V * sizeof(int64_t));   // [V]
    SentEmbedOptions eo = *e;
    eo.dim = C;
    sent_embed_train(vectors, counts, V, &rows, order, n_rows, FIRST_PLAIN_TOKEN, &eo);

    // Scale so trained pieces have per-component standard deviation embed_std: the LayerNorm after
    // word + position embeddings ignores the overall scale, but AdamW's steps do not, and a larger
    // scale keeps fine-tuning from washing the vectors out. Untrained pieces (specials, rare ones)
    // keep the model's own initial vectors.
    double sum_sq = 0;
    long n_values = 0;
    for (int v = FIRST_PLAIN_TOKEN; v < V; v++)
        if (counts[v] >= eo.min_count)
            for (int c = 0; c < C; c++) sum_sq += (double)vectors[(size_t)v * C + c] * vectors[(size_t)v * C + c], n_values++;
    float scale = n_values ? (float)(embed_std / sqrt(sum_sq / (double)n_values)) : 0.0f;
    int n_replaced = 0;
    for (int v = FIRST_PLAIN_TOKEN; v < V; v++) {
        if (counts[v] < eo.min_count) continue;
        float *row = model.params.word_embeddings + (size_t)v * C;
        for (int c = 0; c < C; c++) row[c] = scale * vectors[(size_t)v * C + c];
        n_replaced++;
    }
    snprintf(path, sizeof path, "%s/checkpoint.bin", o->out_dir);
    sent_checkpoint_save(path, o, &model, 0, sent_now_seconds() - t0);
    fprintf(stderr, "done: %d of %d word embeddings trained (std %.3f) in %.1f min; start fine-tuning with --init %s\n",
            n_replaced, V, embed_std, (sent_now_seconds() - t0) / 60, path);

    free(vectors), free(counts), free(order);
    sent_bert_free(&model);
    sent_token_rows_free(&rows);
    sent_tokenizer_free(tok);
    return 0;
}
