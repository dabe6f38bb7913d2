#include <cstdint>
#include <cstring>

#include "dispatch/isa.h"

#if defined(FASTCONV_X86)
#include <cpuid.h>
#endif

namespace fastconv {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512f: return "avx512f";
  }
  return "unknown";
}

bool parse_isa(const std::string& name, Isa* out) {
  if (name == "scalar") { *out = Isa::kScalar; return true; }
  if (name == "avx2") { *out = Isa::kAvx2; return true; }
  if (name == "avx512f") { *out = Isa::kAvx512f; return true; }
  return false;
}

namespace {

#if defined(FASTCONV_X86)
// Inline asm instead of _xgetbv() so this baseline file needs no -mxsave flag.
uint64_t read_xcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

CpuFeatures probe() {
  CpuFeatures f;
  unsigned a = 0, b = 0, c = 0, d = 0;
  unsigned max_leaf = __get_cpuid_max(0, nullptr);
  if (max_leaf == 0) return f;
  __cpuid(0, a, b, c, d);
  char vendor[13] = {};
  std::memcpy(vendor + 0, &b, 4);
  std::memcpy(vendor + 4, &d, 4);
  std::memcpy(vendor + 8, &c, 4);
  f.vendor = vendor;

  __cpuid(1, a, b, c, d);
  f.sse2 = (d >> 26) & 1;
  f.fma = (c >> 12) & 1;
  bool osxsave = (c >> 27) & 1;
  f.avx = (c >> 28) & 1;
  f.f16c = (c >> 29) & 1;
  if (osxsave) {
    uint64_t xcr0 = read_xcr0();
    // bits 1,2: SSE and AVX (YMM upper halves); bits 5,6,7: opmask, ZMM0-15 upper, ZMM16-31.
    f.os_ymm = (xcr0 & 0x6) == 0x6;
    f.os_zmm = f.os_ymm && (xcr0 & 0xE0) == 0xE0;
  }
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    f.avx2 = (b >> 5) & 1;
    f.avx512f = (b >> 16) & 1;
    f.avx512dq = (b >> 17) & 1;
    f.avx512bw = (b >> 30) & 1;
    f.avx512vl = (b >> 31) & 1;
  }
  unsigned max_ext = __get_cpuid_max(0x80000000u, nullptr);
  if (max_ext >= 0x80000004u) {
    char brand[49] = {};
    for (unsigned i = 0; i < 3; ++i) {
      __cpuid(0x80000002u + i, a, b, c, d);
      std::memcpy(brand + 16 * i + 0, &a, 4);
      std::memcpy(brand + 16 * i + 4, &b, 4);
      std::memcpy(brand + 16 * i + 8, &c, 4);
      std::memcpy(brand + 16 * i + 12, &d, 4);
    }
    std::string s = brand;
    size_t first = s.find_first_not_of(' ');
    f.brand = first == std::string::npos ? "" : s.substr(first);
  }
  return f;
}
#else
CpuFeatures probe() { return CpuFeatures{}; }
#endif

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = probe();
  return features;
}

std::vector<Isa> compiled_isas() {
#if defined(FASTCONV_X86)
  return {Isa::kScalar, Isa::kAvx2, Isa::kAvx512f};
#else
  return {Isa::kScalar};
#endif
}

bool isa_supported(Isa isa) {
  const CpuFeatures& f = cpu_features();
  switch (isa) {
    case Isa::kScalar: return true;
#if defined(FASTCONV_X86)
    case Isa::kAvx2: return f.avx && f.avx2 && f.fma && f.f16c && f.os_ymm;
    case Isa::kAvx512f: return f.avx512f && f.avx2 && f.fma && f.f16c && f.os_zmm;
#else
    default: (void)f; return false;
#endif
  }
  return false;
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> out;
  for (Isa isa : compiled_isas())
    if (isa_supported(isa)) out.push_back(isa);
  return out;
}

Isa best_supported_isa() { return supported_isas().back(); }

}  // namespace fastconv
