// Little-endian field access for tests that edit .smf files byte by byte (weights/FORMAT.md gives
// the offsets): read or overwrite a header or tensor-table field, then repair the checksum so
// that the edit, not the CRC, is what the loader judges. Header-only, like check.h.
#ifndef SENT_TESTS_SMF_BYTES_H
#define SENT_TESTS_SMF_BYTES_H

#include <stddef.h>
#include <stdint.h>

#include "model_file.h"

static inline uint64_t smf_rd64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}
static inline void smf_wr32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void smf_wr64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
// The CRC-32 lives at bytes [60, 64) of the header.
static inline void smf_fix_checksum(uint8_t *bytes, size_t len) { smf_wr32(bytes + 60, sent_smf_checksum(bytes, len)); }

#endif
