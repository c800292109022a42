#ifndef HEAPCONV_PREFETCH_H
#define HEAPCONV_PREFETCH_H

/// Asks the CPU to start loading the cache line at `address` for writing, without waiting for it: hash-map
/// probes of events a few places ahead overlap their cache misses instead of taking them one at a time.
/// A hint only: it never faults, whatever the address.
static inline __attribute__((always_inline)) void heapconv_prefetch(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

#endif
