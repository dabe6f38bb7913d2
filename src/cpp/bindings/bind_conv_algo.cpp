// The forward-convolution algorithm switch (FASTCONV_CONV_ALGO), settable for tests/benchmarks.
#include <string>

#include "bindings/registry.h"
#include "conv/conv_winograd.h"

FASTCONV_BINDING(conv_algo) {
  using namespace fastconv;
  m.def("get_conv_algo", [] { return std::string(conv_algo_name(conv_algo())); },
        "Algorithm for 3x3 stride-1 convolutions: 'auto', 'direct', 'winograd' (F(2x2, 3x3)) "
        "or 'winograd4' (F(4x4, 3x3) forward and backward-data where the ISA has it).");
  m.def(
      "set_conv_algo",
      [](const std::string& name) {
        ConvAlgo a;
        if (!parse_conv_algo(name.c_str(), &a))
          fail("set_conv_algo: unknown algorithm '", name,
               "'; use one of auto, direct, winograd, winograd4");
        set_conv_algo(a);
      },
      "Override FASTCONV_CONV_ALGO for this process (tests and benchmarks).");
}
