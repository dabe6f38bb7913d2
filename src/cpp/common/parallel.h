// Thread-count control. fastconv keeps its own thread count instead of relying on
// omp_set_num_threads(), whose setting is per calling thread in OpenMP: a count set from one
// Python thread would not apply to ops called from another. Every parallel region passes
// num_threads(fastconv::num_threads_for(work)).
#pragma once

#include <cstdint>

namespace fastconv {

int get_num_threads();
void set_num_threads(int n);  // n >= 1

// Threads to use for a job of `work` units of roughly `min_work_per_thread` each: small jobs
// stay single-threaded because starting a team costs a few microseconds.
int threads_for(double work, double min_work_per_thread);

// Static split of [0, total) into `parts` contiguous ranges; part `index` gets [*lo, *hi).
inline void split_range(int64_t total, int parts, int index, int64_t* lo, int64_t* hi) {
  int64_t base = total / parts, rem = total % parts;
  *lo = index * base + (index < rem ? index : rem);
  *hi = *lo + base + (index < rem ? 1 : 0);
}

}  // namespace fastconv
