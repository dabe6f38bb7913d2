#include "common/parallel.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>

#include "common/error.h"

namespace fastconv {
namespace {

int initial_threads() {
  // omp_get_max_threads() already honours OMP_NUM_THREADS; without it, it is the number of
  // processors OpenMP may use.
  return std::max(1, omp_get_max_threads());
}

std::atomic<int>& thread_count() {
  static std::atomic<int> count{initial_threads()};
  return count;
}

}  // namespace

int get_num_threads() { return thread_count().load(std::memory_order_relaxed); }

void set_num_threads(int n) {
  FASTCONV_CHECK(n >= 1, "set_num_threads: n must be >= 1, got ", n);
  thread_count().store(n, std::memory_order_relaxed);
}

int threads_for(double work, double min_work_per_thread) {
  int t = get_num_threads();
  if (t <= 1) return 1;
  double by_work = work / std::max(1.0, min_work_per_thread);
  if (by_work < 2.0) return 1;
  return static_cast<int>(std::min<double>(t, by_work));
}

}  // namespace fastconv
