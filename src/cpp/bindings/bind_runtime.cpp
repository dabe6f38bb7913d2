// Runtime facts and switches: CPU features, ISA selection, thread count.
#include "bindings/registry.h"
#include "common/malloc_tuning.h"
#include "common/parallel.h"
#include "dispatch/table.h"

namespace fastconv::bindings {
namespace {

py::dict cpu_info_dict() {
  const CpuFeatures& f = cpu_features();
  py::dict features;
  features["sse2"] = f.sse2;
  features["avx"] = f.avx;
  features["avx2"] = f.avx2;
  features["fma"] = f.fma;
  features["f16c"] = f.f16c;
  features["avx512f"] = f.avx512f;
  features["avx512dq"] = f.avx512dq;
  features["avx512bw"] = f.avx512bw;
  features["avx512vl"] = f.avx512vl;
  features["os_saves_ymm"] = f.os_ymm;
  features["os_saves_zmm"] = f.os_zmm;
  py::list compiled, supported;
  for (Isa i : compiled_isas()) compiled.append(isa_name(i));
  for (Isa i : supported_isas()) supported.append(isa_name(i));
  py::dict d;
  d["vendor"] = f.vendor;
  d["brand"] = f.brand;
  d["features"] = features;
  d["compiled_isas"] = compiled;
  d["supported_isas"] = supported;
  d["isa"] = isa_name(active_isa());
  d["num_threads"] = get_num_threads();
  d["gemm_kernel"] = active_table().gemm.name;
  d["malloc_tuned"] = malloc_tuned();
  return d;
}

}  // namespace
}  // namespace fastconv::bindings

FASTCONV_BINDING(runtime) {
  using namespace fastconv;
  tune_malloc();
  m.def("cpu_info", &bindings::cpu_info_dict, "CPU features, compiled/supported ISAs, ISA in use.");
  m.def("get_isa", [] { return std::string(isa_name(active_isa())); });
  m.def(
      "set_isa",
      [](const std::string& name) {
        Isa isa;
        if (!parse_isa(name, &isa))
          fail("set_isa: unknown ISA '", name, "'; use one of scalar, avx2, avx512f");
        set_active_isa(isa);
      },
      "Switch the kernel table (tests/benchmarks).");
  m.def("release_free_memory", &release_free_memory,
        "Give free heap memory back to the OS (only with fastconv's malloc tuning in effect).");
  m.def("get_num_threads", &get_num_threads);
  m.def("set_num_threads", &set_num_threads);
}
