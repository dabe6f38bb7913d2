// FMA peak probe. Each thread calls the table's fmapeak kernel (independent FMA chains, no
// memory traffic) in chunks until its time is up; the result is total flops / longest time.
#include "gemm/peak.h"

#include <omp.h>

#include <algorithm>
#include <chrono>

#include "common/error.h"
#include "dispatch/table.h"

namespace fastconv {

double fma_peak_gflops(double seconds, int threads) {
  FASTCONV_CHECK(threads >= 1, "fma_peak_probe: threads must be >= 1, got ", threads);
  FASTCONV_CHECK(seconds > 0.0 && seconds <= 60.0,
                 "fma_peak_probe: seconds must be in (0, 60], got ", seconds);
  const FmaPeakKernel& kern = active_table().fmapeak;
  using clock = std::chrono::steady_clock;
  double total_flops = 0.0, longest = 0.0;
#pragma omp parallel num_threads(threads) reduction(+ : total_flops) reduction(max : longest)
  {
    float sink[64];
    // Chunks of ~1e5 iterations (a few hundred microseconds) keep the clock out of the way.
    const int64_t chunk = 100000;
    kern.fn(chunk, sink);  // warm up: wake the core and its wide units
    const auto t0 = clock::now();
    double flops = 0.0, elapsed = 0.0;
    do {
      kern.fn(chunk, sink);
      flops += kern.flops_per_iter * static_cast<double>(chunk);
      elapsed = std::chrono::duration<double>(clock::now() - t0).count();
    } while (elapsed < seconds);
    total_flops += flops;
    longest = std::max(longest, elapsed);
  }
  return total_flops / longest * 1e-9;
}

}  // namespace fastconv
