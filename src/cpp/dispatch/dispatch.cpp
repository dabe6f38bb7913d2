#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>

#include "common/error.h"
#include "dispatch/table.h"

namespace fastconv {
namespace {

KernelTable build_table(Isa isa) {
  switch (isa) {
#if defined(FASTCONV_X86)
    case Isa::kAvx512f: return make_table_avx512f();
    case Isa::kAvx2: return make_table_avx2();
#endif
    default: return make_table_scalar();
  }
}

Isa initial_isa() {
  const char* env = std::getenv("FASTCONV_ISA");
  if (env == nullptr || *env == '\0') return best_supported_isa();
  Isa isa;
  std::string name = env;
  if (!parse_isa(name, &isa))
    fail("FASTCONV_ISA='", name, "' is not a known ISA; use one of scalar, avx2, avx512f");
  if (!isa_supported(isa))
    fail("FASTCONV_ISA='", name, "' is not supported by this CPU/OS (best available: ",
         isa_name(best_supported_isa()), ")");
  return isa;
}

// Tables are built once per ISA and never freed, so a pointer handed out stays valid.
KernelTable g_tables[3];
std::once_flag g_table_once[3];
std::atomic<const KernelTable*> g_active{nullptr};
std::mutex g_init_mutex;

const KernelTable* table_for(Isa isa) {
  int i = static_cast<int>(isa);
  std::call_once(g_table_once[i], [&] { g_tables[i] = build_table(isa); });
  return &g_tables[i];
}

}  // namespace

const KernelTable& active_table() {
  const KernelTable* t = g_active.load(std::memory_order_acquire);
  if (t == nullptr) {
    std::lock_guard<std::mutex> lock(g_init_mutex);
    t = g_active.load(std::memory_order_acquire);
    if (t == nullptr) {
      t = table_for(initial_isa());
      g_active.store(t, std::memory_order_release);
    }
  }
  return *t;
}

Isa active_isa() { return active_table().isa; }

void set_active_isa(Isa isa) {
  if (!isa_supported(isa))
    fail("set_isa: '", isa_name(isa), "' is not supported by this CPU/OS (best available: ",
         isa_name(best_supported_isa()), ")");
  g_active.store(table_for(isa), std::memory_order_release);
}

}  // namespace fastconv
