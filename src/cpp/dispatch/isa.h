// Instruction-set levels and the CPU probe.
#pragma once

#include <string>
#include <vector>

namespace fastconv {

// Ordered: a higher level implies the CPU also runs every lower one.
enum class Isa : int { kScalar = 0, kAvx2 = 1, kAvx512f = 2 };

const char* isa_name(Isa isa);
bool parse_isa(const std::string& name, Isa* out);

struct CpuFeatures {
  std::string vendor;
  std::string brand;
  bool sse2 = false, avx = false, avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool os_ymm = false;  // XCR0 says the OS saves YMM state (needed for AVX/AVX2)
  bool os_zmm = false;  // XCR0 says the OS saves opmask and ZMM state (needed for AVX-512)
};

// Probed once (cpuid + xgetbv on x86), cached.
const CpuFeatures& cpu_features();

// ISA levels this binary has kernels for (scalar everywhere; avx2/avx512f on x86 builds).
std::vector<Isa> compiled_isas();
// Compiled levels that this CPU and OS can run, lowest first.
std::vector<Isa> supported_isas();
bool isa_supported(Isa isa);
Isa best_supported_isa();

}  // namespace fastconv
