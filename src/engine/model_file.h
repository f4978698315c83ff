// The .smf model file: one self-describing file holds the whole model (config, labels, tokenizer
// settings and vocab as JSON metadata; tensors under their Hugging Face state-dict names).
// weights/FORMAT.md is the byte-exact specification; this module reads, validates and writes it.
//
// Reading never trusts the file: every size and offset is checked with overflow-safe arithmetic
// before anything is dereferenced, and a truncated, corrupt or hostile file yields an error
// message, never an out-of-bounds read. Every call that can fail returns a SentStatus (error.h):
// SENT_ERR_IO when a path cannot be opened, mapped or written, SENT_ERR_FORMAT when the bytes are
// not a valid file, SENT_ERR_MEMORY, SENT_ERR_ARGUMENT; the message goes to err[err_size]. Natively the file is mmapped; in WebAssembly the page
// hands over one memory buffer (parse from memory is the primitive, open from path maps a file
// and calls it).
#ifndef SENT_MODEL_FILE_H
#define SENT_MODEL_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "cJSON.h"
#include "error.h"

#define SENT_SMF_MAGIC "SENTSMF\0"  // 8 bytes, NUL included
#define SENT_SMF_VERSION 1u
#define SENT_SMF_HEADER_SIZE 64u
#define SENT_SMF_ENTRY_SIZE 176u
#define SENT_SMF_NAME_SIZE 96u      // tensor names are NUL-terminated within this
#define SENT_SMF_ALIGN 64u          // every tensor (and scale) payload starts on this boundary
#define SENT_SMF_MAX_DIMS 4

typedef enum {
    SENT_DTYPE_F32 = 0,  // little-endian IEEE float
    SENT_DTYPE_I8 = 1,   // symmetric int8, one f32 scale per group of group_size along the last dim
} SentDType;

// One tensor, as read from a file or handed to the writer. The pointers borrow the file's bytes
// (or, for the writer, the caller's arrays).
typedef struct {
    char name[SENT_SMF_NAME_SIZE];
    SentDType dtype;
    int ndim;
    int64_t shape[SENT_SMF_MAX_DIMS];   // [ndim] used; the last dim is the row length
    const void *data;                   // f32: float[numel]; i8: int8_t[numel]
    uint64_t size;                      // bytes of data
    const float *scale;                 // i8 only: [numel / group_size]
    uint64_t scale_size;                // bytes of scale (0 for f32)
    int group_size;                     // i8 only: divides shape[ndim-1]
} SentTensor;

typedef struct {
    const uint8_t *bytes;   // [len] the whole file (borrowed, mapped or owned; see below)
    size_t len;
    uint32_t checksum;      // CRC-32 from the header, verified
    const char *meta_text;  // [meta_size] the metadata JSON as stored (inside bytes; not NUL-terminated)
    size_t meta_size;
    cJSON *meta;            // parsed metadata object (owned)
    int n_tensors;
    SentTensor *tensors;    // [n_tensors] (owned)
    void *mapping;          // mmap'd region, when opened from a path natively
    void *owned;            // aligned copy, when the caller's bytes were misaligned
} SentModelFile;

// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, the one zlib's crc32() computes).
// Start with crc = 0 and feed pieces in order.
uint32_t sent_crc32(uint32_t crc, const void *data, size_t len);
// The checksum a file must carry: CRC-32 of bytes [0, 60) followed by bytes [64, len).
uint32_t sent_smf_checksum(const uint8_t *bytes, size_t len);

// Validates bytes[0..len) and fills mf. The bytes are borrowed and must outlive mf, unless they
// are not 4-byte aligned, in which case they are copied.
SentStatus sent_model_file_parse(SentModelFile *mf, const void *bytes, size_t len, char *err, size_t err_size);
// Maps path read-only and parses it.
SentStatus sent_model_file_open(SentModelFile *mf, const char *path, char *err, size_t err_size);
void sent_model_file_close(SentModelFile *mf);

const SentTensor *sent_model_file_find(const SentModelFile *mf, const char *name);

// Builds a complete file in memory from metadata JSON text and tensors (data/scale pointers and
// sizes filled in by the caller). Returns a malloc'd buffer of *out_len bytes, or NULL with err.
uint8_t *sent_model_file_build(const char *meta_json, const SentTensor *tensors, int n_tensors,
                               size_t *out_len, char *err, size_t err_size);
// Builds and writes to path.
SentStatus sent_model_file_write(const char *path, const char *meta_json, const SentTensor *tensors,
                          int n_tensors, char *err, size_t err_size);

#endif
