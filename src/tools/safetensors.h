// Reader of Hugging Face safetensors files: an 8-byte little-endian header length N, N bytes of
// JSON {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}, then the
// raw little-endian data (offsets relative to its start). Every entry is validated against the
// file size and its shape before use.
#ifndef SENT_SAFETENSORS_H
#define SENT_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "cJSON.h"

#define SENT_ST_MAX_DIMS 8

typedef enum { SENT_ST_F32, SENT_ST_F16, SENT_ST_BF16, SENT_ST_I32, SENT_ST_I64, SENT_ST_I8, SENT_ST_U8 } SentStDType;

typedef struct {
    const char *name;                   // points into the parsed header
    SentStDType dtype;
    int ndim;
    int64_t shape[SENT_ST_MAX_DIMS];
    int64_t numel;
    const uint8_t *data;                // [size] raw little-endian, not necessarily aligned
    size_t size;
} SentStTensor;

typedef struct {
    uint8_t *owned;        // file contents when read from a path
    cJSON *header;
    const cJSON *metadata; // "__metadata__" object or NULL
    int n_tensors;
    SentStTensor *tensors; // [n_tensors]
} SentSafetensors;

// Parses bytes[0..len) (borrowed). Returns 0, or -1 with err filled.
int sent_safetensors_parse(SentSafetensors *st, const uint8_t *bytes, size_t len, char *err, size_t err_size);
// Reads path into memory and parses it.
int sent_safetensors_read(SentSafetensors *st, const char *path, char *err, size_t err_size);
void sent_safetensors_free(SentSafetensors *st);

const SentStTensor *sent_safetensors_find(const SentSafetensors *st, const char *name);
// Converts a float tensor (F32, F16 or BF16) to fp32 into out[numel]. Returns 0, or -1 for other dtypes.
int sent_safetensors_to_f32(const SentStTensor *t, float *out);
// Converts an integer tensor (I32, I64, I8, U8) to int32 into out[numel]; -1 for float dtypes or
// values out of int32 range.
int sent_safetensors_to_i32(const SentStTensor *t, int32_t *out);

#endif
