// safetensors reader (see safetensors.h).
#include "tools/safetensors.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_HEADER (100u << 20)


static const struct {
    const char *name;
    SentStDType dtype;
    int size;
} dtypes[] = {
    {"F32", SENT_ST_F32, 4}, {"F16", SENT_ST_F16, 2}, {"BF16", SENT_ST_BF16, 2}, {"I32", SENT_ST_I32, 4},
    {"I64", SENT_ST_I64, 8}, {"I8", SENT_ST_I8, 1},   {"U8", SENT_ST_U8, 1},
};

static int parse_entry(SentStTensor *t, const cJSON *e, const uint8_t *data, uint64_t data_len, char *err,
                       size_t err_size) {
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsObject(e) || !cJSON_IsString(dtype) || !cJSON_IsArray(shape) || !cJSON_IsArray(offsets) ||
        cJSON_GetArraySize(offsets) != 2)
        return sent_errorf(err, err_size, "tensor '%s': entry needs dtype, shape and data_offsets [begin, end]", t->name);
    int elem = 0;
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (!strcmp(dtype->valuestring, dtypes[i].name)) {
            t->dtype = dtypes[i].dtype;
            elem = dtypes[i].size;
        }
    if (!elem) return sent_errorf(err, err_size, "tensor '%s': unsupported dtype %s", t->name, dtype->valuestring);
    t->ndim = cJSON_GetArraySize(shape);
    if (t->ndim > SENT_ST_MAX_DIMS) return sent_errorf(err, err_size, "tensor '%s': %d dims", t->name, t->ndim);
    uint64_t numel = 1;
    for (int d = 0; d < t->ndim; d++) {
        const cJSON *dim = cJSON_GetArrayItem(shape, d);
        if (!cJSON_IsNumber(dim) || dim->valuedouble < 0 || dim->valuedouble > 4e9 ||
            dim->valuedouble != floor(dim->valuedouble))
            return sent_errorf(err, err_size, "tensor '%s': bad shape", t->name);
        t->shape[d] = (int64_t)dim->valuedouble;
        if (t->shape[d] && numel > UINT64_MAX / 8 / (uint64_t)t->shape[d])
            return sent_errorf(err, err_size, "tensor '%s': shape overflows", t->name);
        numel *= (uint64_t)t->shape[d];
    }
    double begin = cJSON_GetArrayItem(offsets, 0)->valuedouble, end = cJSON_GetArrayItem(offsets, 1)->valuedouble;
    if (!cJSON_IsNumber(cJSON_GetArrayItem(offsets, 0)) || !cJSON_IsNumber(cJSON_GetArrayItem(offsets, 1)) ||
        begin < 0 || end < begin || end > (double)data_len || begin != floor(begin) || end != floor(end))
        return sent_errorf(err, err_size, "tensor '%s': data_offsets outside the %llu data bytes", t->name,
                    (unsigned long long)data_len);
    if ((uint64_t)(end - begin) != numel * (uint64_t)elem)
        return sent_errorf(err, err_size, "tensor '%s': %.0f bytes for %llu elements of %s", t->name, end - begin,
                    (unsigned long long)numel, dtype->valuestring);
    t->numel = (int64_t)numel;
    t->data = data + (uint64_t)begin;
    t->size = (size_t)(end - begin);
    return 0;
}

int sent_safetensors_parse(SentSafetensors *st, const uint8_t *bytes, size_t len, char *err, size_t err_size) {
    memset(st, 0, sizeof *st);
    if (len < 8) return sent_errorf(err, err_size, "safetensors file too short (%zu bytes)", len);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | bytes[i];
    if (n < 2 || n > MAX_HEADER || n > len - 8)
        return sent_errorf(err, err_size, "safetensors header length %llu does not fit the %zu-byte file",
                    (unsigned long long)n, len);
    st->header = cJSON_ParseWithLength((const char *)bytes + 8, (size_t)n);
    if (!cJSON_IsObject(st->header)) {
        sent_safetensors_free(st);
        return sent_errorf(err, err_size, "safetensors header is not a JSON object");
    }
    int count = cJSON_GetArraySize(st->header);
    st->tensors = calloc((size_t)count + 1, sizeof *st->tensors);
    if (!st->tensors) {
        sent_safetensors_free(st);
        return sent_errorf(err, err_size, "out of memory");
    }
    const uint8_t *data = bytes + 8 + n;
    uint64_t data_len = len - 8 - n;
    for (const cJSON *e = st->header->child; e; e = e->next) {
        if (!strcmp(e->string, "__metadata__")) {
            st->metadata = e;
            continue;
        }
        SentStTensor *t = &st->tensors[st->n_tensors];
        t->name = e->string;
        if (parse_entry(t, e, data, data_len, err, err_size)) {
            sent_safetensors_free(st);
            return -1;
        }
        st->n_tensors++;
    }
    return 0;
}

int sent_safetensors_read(SentSafetensors *st, const char *path, char *err, size_t err_size) {
    memset(st, 0, sizeof *st);
    size_t len;
    uint8_t *bytes = (uint8_t *)sent_read_file(path, &len);
    if (!bytes) return sent_errorf(err, err_size, "cannot read '%s': %s", path, strerror(errno));
    if (sent_safetensors_parse(st, bytes, len, err, err_size)) {
        free(bytes);
        return -1;
    }
    st->owned = bytes;
    return 0;
}

void sent_safetensors_free(SentSafetensors *st) {
    cJSON_Delete(st->header);
    free(st->tensors);
    free(st->owned);
    memset(st, 0, sizeof *st);
}

const SentStTensor *sent_safetensors_find(const SentSafetensors *st, const char *name) {
    for (int i = 0; i < st->n_tensors; i++)
        if (!strcmp(st->tensors[i].name, name)) return &st->tensors[i];
    return NULL;
}

static float half_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1F, mant = h & 0x3FF, bits;
    if (exp == 0x1F) {
        bits = sign | 0x7F800000u | mant << 13;
    } else if (exp) {
        bits = sign | (exp + 112) << 23 | mant << 13;
    } else {
        float v = ldexpf((float)mant, -24);  // subnormal or zero
        return sign ? -v : v;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

int sent_safetensors_to_f32(const SentStTensor *t, float *out) {
    const uint8_t *p = t->data;
    for (int64_t i = 0; i < t->numel; i++) {
        uint32_t bits;
        switch (t->dtype) {
        case SENT_ST_F32:
            bits = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
                   (uint32_t)p[4 * i + 3] << 24;
            memcpy(&out[i], &bits, 4);
            break;
        case SENT_ST_F16: out[i] = half_to_f32((uint16_t)(p[2 * i] | p[2 * i + 1] << 8)); break;
        case SENT_ST_BF16:
            bits = ((uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8) << 16;
            memcpy(&out[i], &bits, 4);
            break;
        default: return -1;
        }
    }
    return 0;
}

int sent_safetensors_to_i32(const SentStTensor *t, int32_t *out) {
    const uint8_t *p = t->data;
    for (int64_t i = 0; i < t->numel; i++) {
        int64_t v;
        switch (t->dtype) {
        case SENT_ST_I32: {
            uint32_t u = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
                         (uint32_t)p[4 * i + 3] << 24;
            v = (int32_t)u;
            break;
        }
        case SENT_ST_I64: {
            uint64_t u = 0;
            for (int b = 7; b >= 0; b--) u = u << 8 | p[8 * i + b];
            v = (int64_t)u;
            break;
        }
        case SENT_ST_I8: v = (int8_t)p[i]; break;
        case SENT_ST_U8: v = p[i]; break;
        default: return -1;
        }
        if (v < INT32_MIN || v > INT32_MAX) return -1;
        out[i] = (int32_t)v;
    }
    return 0;
}
