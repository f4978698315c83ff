// Reader, validator and writer of the .smf model file (spec: weights/FORMAT.md).
#include "model_file.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef __EMSCRIPTEN__
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

// Bounds that no real model approaches; they keep hostile counts from driving big allocations.
#define MAX_TENSORS 100000u
#define MAX_META_SIZE (64u << 20)
#define MAX_DIM ((int64_t)1 << 31)


// --- checksum ----------------------------------------------------------------------------------

uint32_t sent_crc32(uint32_t crc, const void *data, size_t len) {
    // Slicing-by-8 (8 table lookups per 8 bytes, ~5x the bytewise loop, which mattered: the
    // bytewise CRC of a 265 MB fp32 model took longer than a forward pass). The tables are
    // rebuilt per call (2048 entries) so the module keeps no global state.
    uint32_t table[8][256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++) table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xFF];
    const uint8_t *p = data;
    crc = ~crc;
    for (; len >= 8; p += 8, len -= 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
        crc = table[7][lo & 0xFF] ^ table[6][(lo >> 8) & 0xFF] ^ table[5][(lo >> 16) & 0xFF] ^ table[4][lo >> 24] ^
              table[3][hi & 0xFF] ^ table[2][(hi >> 8) & 0xFF] ^ table[1][(hi >> 16) & 0xFF] ^ table[0][hi >> 24];
    }
    for (; len; p++, len--) crc = table[0][(crc ^ *p) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

uint32_t sent_smf_checksum(const uint8_t *bytes, size_t len) {
    uint32_t crc = sent_crc32(0, bytes, len < 60 ? len : 60);
    if (len > SENT_SMF_HEADER_SIZE) crc = sent_crc32(crc, bytes + SENT_SMF_HEADER_SIZE, len - SENT_SMF_HEADER_SIZE);
    return crc;
}

// --- little-endian fields ----------------------------------------------------------------------

static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void wr64(uint8_t *p, uint64_t v) {
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

// [off, off+size) lies inside [lo, hi), computed without overflow.
static int in_range(uint64_t off, uint64_t size, uint64_t lo, uint64_t hi) {
    return off >= lo && off <= hi && size <= hi - off;
}

static uint64_t dtype_size(SentDType dtype) { return dtype == SENT_DTYPE_F32 ? 4 : 1; }

// --- reading -----------------------------------------------------------------------------------

// Returns 0, or -1 with err filled (every failure here is a format error).
static int parse_entry(SentTensor *t, const uint8_t *e, int index, uint64_t data_start, uint64_t file_len,
                       char *err, size_t err_size) {
    memset(t, 0, sizeof *t);
    if (!memchr(e, 0, SENT_SMF_NAME_SIZE))
        return sent_errorf(err, err_size, "tensor %d: name is not NUL-terminated", index);
    memcpy(t->name, e, SENT_SMF_NAME_SIZE);
    if (!t->name[0]) return sent_errorf(err, err_size, "tensor %d: empty name", index);
    uint32_t dtype = rd32(e + 96), ndim = rd32(e + 100);
    if (dtype != SENT_DTYPE_F32 && dtype != SENT_DTYPE_I8)
        return sent_errorf(err, err_size, "tensor '%s': unknown dtype %u", t->name, dtype);
    if (ndim < 1 || ndim > SENT_SMF_MAX_DIMS)
        return sent_errorf(err, err_size, "tensor '%s': ndim %u not in 1..%d", t->name, ndim, SENT_SMF_MAX_DIMS);
    t->dtype = (SentDType)dtype;
    t->ndim = (int)ndim;
    uint64_t numel = 1;
    for (int d = 0; d < SENT_SMF_MAX_DIMS; d++) {
        uint64_t dim = rd64(e + 104 + 8 * d);
        if (d >= t->ndim) {
            if (dim != 0) return sent_errorf(err, err_size, "tensor '%s': unused dim %d is not 0", t->name, d);
            continue;
        }
        if (dim < 1 || dim > (uint64_t)MAX_DIM)
            return sent_errorf(err, err_size, "tensor '%s': dim %d = %llu out of range", t->name, d, (unsigned long long)dim);
        if (numel > UINT64_MAX / dim) return sent_errorf(err, err_size, "tensor '%s': element count overflows", t->name);
        numel *= dim;
        t->shape[d] = (int64_t)dim;
    }
    if (numel > UINT64_MAX / 4) return sent_errorf(err, err_size, "tensor '%s': byte size overflows", t->name);
    uint64_t offset = rd64(e + 136), size = rd64(e + 144);
    uint32_t group = rd32(e + 152), reserved = rd32(e + 156);
    uint64_t scale_offset = rd64(e + 160), scale_size = rd64(e + 168);
    if (reserved != 0) return sent_errorf(err, err_size, "tensor '%s': reserved field is not 0", t->name);
    if (size != numel * dtype_size(t->dtype))
        return sent_errorf(err, err_size, "tensor '%s': size %llu does not match its shape (%llu bytes)", t->name,
                    (unsigned long long)size, (unsigned long long)(numel * dtype_size(t->dtype)));
    if (offset % SENT_SMF_ALIGN) return sent_errorf(err, err_size, "tensor '%s': offset not %u-aligned", t->name, SENT_SMF_ALIGN);
    if (!in_range(offset, size, data_start, file_len))
        return sent_errorf(err, err_size, "tensor '%s': data [%llu, +%llu) outside the data area [%llu, %llu)", t->name,
                    (unsigned long long)offset, (unsigned long long)size, (unsigned long long)data_start,
                    (unsigned long long)file_len);
    t->size = size;
    if (t->dtype == SENT_DTYPE_F32) {
        if (group != 0 || scale_offset != 0 || scale_size != 0)
            return sent_errorf(err, err_size, "tensor '%s': f32 tensor has quantization fields", t->name);
    } else {
        uint64_t row = (uint64_t)t->shape[t->ndim - 1];
        if (group == 0 || row % group)
            return sent_errorf(err, err_size, "tensor '%s': group size %u does not divide the row length %llu", t->name,
                        group, (unsigned long long)row);
        if (scale_size != numel / group * 4)
            return sent_errorf(err, err_size, "tensor '%s': scale size %llu, expected %llu", t->name,
                        (unsigned long long)scale_size, (unsigned long long)(numel / group * 4));
        if (scale_offset % SENT_SMF_ALIGN)
            return sent_errorf(err, err_size, "tensor '%s': scale offset not %u-aligned", t->name, SENT_SMF_ALIGN);
        if (!in_range(scale_offset, scale_size, data_start, file_len))
            return sent_errorf(err, err_size, "tensor '%s': scales outside the data area", t->name);
        t->group_size = (int)group;
        t->scale_size = scale_size;
    }
    // Pointers are set by the caller once every entry has passed.
    t->data = (const void *)(uintptr_t)offset;
    t->scale = (const float *)(uintptr_t)scale_offset;
    return 0;
}

typedef struct {
    uint64_t begin, end;
    uint32_t tensor;
} ByteSpan;

static int span_cmp(const void *a, const void *b) {
    const ByteSpan *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

// Every data and scale range belongs to one tensor: two that share bytes make a table no
// converter writes (a hostile or corrupt file). Sorted, so a table of MAX_TENSORS costs n log n.
static SentStatus check_overlaps(const SentModelFile *mf, char *err, size_t err_size) {
    ByteSpan *spans = malloc(2 * (size_t)mf->n_tensors * sizeof *spans);
    if (!spans) {
        sent_errorf(err, err_size, "out of memory for %d tensor ranges", mf->n_tensors);
        return SENT_ERR_MEMORY;
    }
    size_t n = 0;
    for (int i = 0; i < mf->n_tensors; i++) {
        const SentTensor *t = &mf->tensors[i];
        uint64_t at = (uint64_t)((const uint8_t *)t->data - mf->bytes);
        spans[n++] = (ByteSpan){at, at + t->size, (uint32_t)i};
        if (t->scale) {
            at = (uint64_t)((const uint8_t *)t->scale - mf->bytes);
            spans[n++] = (ByteSpan){at, at + t->scale_size, (uint32_t)i};
        }
    }
    qsort(spans, n, sizeof *spans, span_cmp);
    SentStatus rc = SENT_OK;
    for (size_t i = 1; i < n && rc == SENT_OK; i++)
        if (spans[i].begin < spans[i - 1].end) {
            sent_errorf(err, err_size, "tensor '%s' overlaps tensor '%s' (bytes %llu..%llu)",
                        mf->tensors[spans[i].tensor].name, mf->tensors[spans[i - 1].tensor].name,
                        (unsigned long long)spans[i].begin, (unsigned long long)spans[i - 1].end);
            rc = SENT_ERR_FORMAT;
        }
    free(spans);
    return rc;
}

SentStatus sent_model_file_parse(SentModelFile *mf, const void *bytes_in, size_t len, char *err, size_t err_size) {
    memset(mf, 0, sizeof *mf);
    if (!bytes_in) {
        sent_errorf(err, err_size, "no model bytes");
        return SENT_ERR_ARGUMENT;
    }
    const uint8_t *bytes = bytes_in;
    if ((uintptr_t)bytes % 4) {
        // Tensors are read as floats in place; a misaligned buffer is copied once.
        mf->owned = malloc(len ? len : 1);
        if (!mf->owned) {
            sent_errorf(err, err_size, "out of memory copying the model (%zu bytes)", len);
            return SENT_ERR_MEMORY;
        }
        memcpy(mf->owned, bytes, len);
        bytes = mf->owned;
    }
    mf->bytes = bytes;
    mf->len = len;
    SentStatus rc = SENT_ERR_FORMAT;  // every failure below is the bytes' fault, unless set otherwise
    if (len < SENT_SMF_HEADER_SIZE) {
        sent_errorf(err, err_size, "file too short for the header (%zu of %u bytes): not a model file or truncated", len,
             SENT_SMF_HEADER_SIZE);
        goto done;
    }
    if (memcmp(bytes, SENT_SMF_MAGIC, 8)) {
        sent_errorf(err, err_size, "bad magic: not a movie-sentiment model (.smf) file");
        goto done;
    }
    uint32_t version = rd32(bytes + 8), header_size = rd32(bytes + 12);
    uint64_t file_size = rd64(bytes + 16), meta_offset = rd64(bytes + 24), meta_size = rd64(bytes + 32);
    uint64_t table_offset = rd64(bytes + 40);
    uint32_t n_tensors = rd32(bytes + 48), entry_size = rd32(bytes + 52), flags = rd32(bytes + 56);
    mf->checksum = rd32(bytes + 60);
    if (version != SENT_SMF_VERSION) {
        sent_errorf(err, err_size, "unsupported format version %u (this build reads %u)", version, SENT_SMF_VERSION);
        goto done;
    }
    if (header_size != SENT_SMF_HEADER_SIZE || entry_size != SENT_SMF_ENTRY_SIZE || flags != 0) {
        sent_errorf(err, err_size, "bad header (header size %u, entry size %u, flags %u)", header_size, entry_size, flags);
        goto done;
    }
    if (file_size != len) {
        sent_errorf(err, err_size, "file is %zu bytes but its header says %llu: truncated or padded", len,
             (unsigned long long)file_size);
        goto done;
    }
    if (meta_offset != SENT_SMF_HEADER_SIZE || meta_size == 0 || meta_size > MAX_META_SIZE ||
        !in_range(meta_offset, meta_size, SENT_SMF_HEADER_SIZE, len)) {
        sent_errorf(err, err_size, "metadata [%llu, +%llu) is not within the file", (unsigned long long)meta_offset,
             (unsigned long long)meta_size);
        goto done;
    }
    if (n_tensors == 0 || n_tensors > MAX_TENSORS) {
        sent_errorf(err, err_size, "tensor count %u not in 1..%u", n_tensors, MAX_TENSORS);
        goto done;
    }
    uint64_t table_size = (uint64_t)n_tensors * SENT_SMF_ENTRY_SIZE;
    if (table_offset % 8 || !in_range(table_offset, table_size, meta_offset + meta_size, len)) {
        sent_errorf(err, err_size, "tensor table [%llu, +%llu) is misplaced or outside the file",
             (unsigned long long)table_offset, (unsigned long long)table_size);
        goto done;
    }
    // Verified before the contents are interpreted, so later errors describe a well-formed file.
    uint32_t crc = sent_smf_checksum(bytes, len);
    if (crc != mf->checksum) {
        sent_errorf(err, err_size, "checksum mismatch (file says %08x, contents give %08x): the file is corrupt",
             mf->checksum, crc);
        goto done;
    }
    mf->meta_text = (const char *)bytes + meta_offset;
    mf->meta_size = (size_t)meta_size;
    mf->meta = cJSON_ParseWithLength(mf->meta_text, mf->meta_size);
    if (!mf->meta || !cJSON_IsObject(mf->meta)) {
        sent_errorf(err, err_size, "metadata is not a JSON object");
        goto done;
    }
    mf->tensors = calloc(n_tensors, sizeof *mf->tensors);
    if (!mf->tensors) {
        sent_errorf(err, err_size, "out of memory for %u tensor entries", n_tensors);
        rc = SENT_ERR_MEMORY;
        goto done;
    }
    uint64_t data_start = table_offset + table_size;
    for (uint32_t i = 0; i < n_tensors; i++) {
        SentTensor *t = &mf->tensors[i];
        if (parse_entry(t, bytes + table_offset + (uint64_t)i * SENT_SMF_ENTRY_SIZE, (int)i, data_start, len, err,
                        err_size))
            goto done;
        for (uint32_t j = 0; j < i; j++)
            if (!strcmp(mf->tensors[j].name, t->name)) {
                sent_errorf(err, err_size, "tensor '%s' appears twice", t->name);
                goto done;
            }
        t->data = bytes + (uintptr_t)t->data;
        t->scale = t->dtype == SENT_DTYPE_I8 ? (const float *)(bytes + (uintptr_t)t->scale) : NULL;
        mf->n_tensors++;
    }
    rc = check_overlaps(mf, err, err_size);
done:
    if (rc != SENT_OK) sent_model_file_close(mf);
    return rc;
}

SentStatus sent_model_file_open(SentModelFile *mf, const char *path, char *err, size_t err_size) {
    memset(mf, 0, sizeof *mf);
#ifdef __EMSCRIPTEN__
    (void)path;
    sent_errorf(err, err_size, "no file system in this build: load the model from memory");
    return SENT_ERR_IO;
#else
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        sent_errorf(err, err_size, "cannot open model '%s': %s", path, strerror(errno));
        return SENT_ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        sent_errorf(err, err_size, "model '%s' is not a regular file", path);
        return SENT_ERR_IO;
    }
    size_t len = (size_t)st.st_size;
    void *map = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (len && map == MAP_FAILED) {
        sent_errorf(err, err_size, "cannot map model '%s': %s", path, strerror(errno));
        return SENT_ERR_IO;
    }
    static const uint8_t empty[4] __attribute__((aligned(4)));
    char inner[512];
    SentStatus rc = sent_model_file_parse(mf, map ? map : (const void *)empty, len, inner, sizeof inner);
    if (rc != SENT_OK) {
        if (map) munmap(map, len);
        sent_errorf(err, err_size, "model '%s': %s", path, inner);
        return rc;
    }
    mf->mapping = map;
    return SENT_OK;
#endif
}

void sent_model_file_close(SentModelFile *mf) {
    if (!mf) return;
    cJSON_Delete(mf->meta);
    free(mf->tensors);
    free(mf->owned);
#ifndef __EMSCRIPTEN__
    if (mf->mapping) munmap(mf->mapping, mf->len);
#endif
    memset(mf, 0, sizeof *mf);
}

const SentTensor *sent_model_file_find(const SentModelFile *mf, const char *name) {
    for (int i = 0; i < mf->n_tensors; i++)
        if (!strcmp(mf->tensors[i].name, name)) return &mf->tensors[i];
    return NULL;
}

// --- writing -----------------------------------------------------------------------------------

// The builder; *status says why it returned NULL.
static uint8_t *build_file(const char *meta_json, const SentTensor *tensors, int n_tensors, size_t *out_len,
                           SentStatus *status, char *err, size_t err_size) {
    size_t meta_size = strlen(meta_json);
    *status = SENT_ERR_ARGUMENT;
    if (n_tensors < 1 || (unsigned)n_tensors > MAX_TENSORS || meta_size == 0 || meta_size > MAX_META_SIZE) {
        sent_errorf(err, err_size, "nothing sensible to write (%d tensors, %zu bytes of metadata)", n_tensors, meta_size);
        return NULL;
    }
    uint64_t table_offset = align_up(SENT_SMF_HEADER_SIZE + meta_size, 8);
    uint64_t pos = table_offset + (uint64_t)n_tensors * SENT_SMF_ENTRY_SIZE;
    uint64_t *offsets = calloc((size_t)n_tensors * 2, sizeof *offsets);  // [n, 2]: data, scale
    if (!offsets) {
        *status = SENT_ERR_MEMORY;
        sent_errorf(err, err_size, "out of memory");
        return NULL;
    }
    for (int i = 0; i < n_tensors; i++) {
        const SentTensor *t = &tensors[i];
        if (strlen(t->name) >= SENT_SMF_NAME_SIZE || t->ndim < 1 || t->ndim > SENT_SMF_MAX_DIMS) {
            free(offsets);
            sent_errorf(err, err_size, "tensor '%.*s': name too long or bad ndim", 80, t->name);
            return NULL;
        }
        pos = align_up(pos, SENT_SMF_ALIGN);
        offsets[2 * i] = pos;
        pos += t->size;
        if (t->dtype == SENT_DTYPE_I8) {
            pos = align_up(pos, SENT_SMF_ALIGN);
            offsets[2 * i + 1] = pos;
            pos += t->scale_size;
        }
    }
    uint8_t *buf = calloc(1, (size_t)pos);
    if (!buf) {
        free(offsets);
        *status = SENT_ERR_MEMORY;
        sent_errorf(err, err_size, "out of memory for a %llu-byte model file", (unsigned long long)pos);
        return NULL;
    }
    memcpy(buf, SENT_SMF_MAGIC, 8);
    wr32(buf + 8, SENT_SMF_VERSION);
    wr32(buf + 12, SENT_SMF_HEADER_SIZE);
    wr64(buf + 16, pos);
    wr64(buf + 24, SENT_SMF_HEADER_SIZE);
    wr64(buf + 32, meta_size);
    wr64(buf + 40, table_offset);
    wr32(buf + 48, (uint32_t)n_tensors);
    wr32(buf + 52, SENT_SMF_ENTRY_SIZE);
    wr32(buf + 56, 0);
    memcpy(buf + SENT_SMF_HEADER_SIZE, meta_json, meta_size);
    for (int i = 0; i < n_tensors; i++) {
        const SentTensor *t = &tensors[i];
        uint8_t *e = buf + table_offset + (uint64_t)i * SENT_SMF_ENTRY_SIZE;
        memcpy(e, t->name, strlen(t->name));
        wr32(e + 96, (uint32_t)t->dtype);
        wr32(e + 100, (uint32_t)t->ndim);
        for (int d = 0; d < t->ndim; d++) wr64(e + 104 + 8 * d, (uint64_t)t->shape[d]);
        wr64(e + 136, offsets[2 * i]);
        wr64(e + 144, t->size);
        memcpy(buf + offsets[2 * i], t->data, t->size);
        if (t->dtype == SENT_DTYPE_I8) {
            wr32(e + 152, (uint32_t)t->group_size);
            wr64(e + 160, offsets[2 * i + 1]);
            wr64(e + 168, t->scale_size);
            memcpy(buf + offsets[2 * i + 1], t->scale, t->scale_size);
        }
    }
    free(offsets);
    wr32(buf + 60, sent_smf_checksum(buf, (size_t)pos));
    *out_len = (size_t)pos;
    *status = SENT_OK;
    return buf;
}

uint8_t *sent_model_file_build(const char *meta_json, const SentTensor *tensors, int n_tensors, size_t *out_len,
                               char *err, size_t err_size) {
    SentStatus status;
    return build_file(meta_json, tensors, n_tensors, out_len, &status, err, err_size);
}

SentStatus sent_model_file_write(const char *path, const char *meta_json, const SentTensor *tensors, int n_tensors,
                                 char *err, size_t err_size) {
    size_t len;
    SentStatus status;
    uint8_t *buf = build_file(meta_json, tensors, n_tensors, &len, &status, err, err_size);
    if (!buf) return status;
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(buf);
        sent_errorf(err, err_size, "cannot create '%s': %s", path, strerror(errno));
        return SENT_ERR_IO;
    }
    size_t written = fwrite(buf, 1, len, f);
    int closed = fclose(f);
    free(buf);
    if (written != len || closed != 0) {
        sent_errorf(err, err_size, "cannot write '%s': %s", path, strerror(errno));
        return SENT_ERR_IO;
    }
    return SENT_OK;
}
