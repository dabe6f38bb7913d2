// Keeps freed activation-sized blocks inside the process instead of handing them back to the
// kernel after every op.
//
// A training step allocates and frees the same few-megabyte arrays (activations, gradients) on
// every call. With glibc's defaults the top of the heap is trimmed as soon as 2x the dynamic
// mmap threshold is free, and large blocks are mmap()ed, so each step page-faults and zeroes
// its working set afresh: on the lab CNN that was a quarter of the step (perf: clear_page_erms,
// exc_page_fault, brk). tune_malloc() raises the trim threshold and pins the mmap threshold at
// glibc's own dynamic maximum, so those blocks are reused warm. It changes nothing else about
// allocation, is skipped when the user already tunes malloc through MALLOC_* variables or sets
// FASTCONV_MALLOC_TUNING=0, and is a no-op on non-glibc systems.
#pragma once

namespace fastconv {

// Applies the settings once per process; returns whether they are in effect.
bool tune_malloc();
bool malloc_tuned();

// Returns free heap memory to the OS (glibc malloc_trim) when the tuning is in effect: with the
// raised trim threshold, a large temporary (e.g. the buffers of decompressing a data set) would
// otherwise stay resident next to the arrays made from it. Returns whether memory was released.
bool release_free_memory();

}  // namespace fastconv
