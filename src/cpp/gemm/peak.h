// A measured FP32 FMA peak, so GEMM figures can be read as a fraction of what the core can do.
#pragma once

#include <cstdint>

namespace fastconv {

// Runs the active ISA's FMA-chain kernel on `threads` threads (exactly that many, whatever
// set_num_threads says) for about `seconds` and returns the achieved GFLOP/s (2 flops per FMA
// lane), summed over the threads.
double fma_peak_gflops(double seconds, int threads);

}  // namespace fastconv
