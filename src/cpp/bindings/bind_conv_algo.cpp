// The forward-convolution algorithm switch (FASTCONV_CONV_ALGO), settable for tests/benchmarks.
#include <string>

#include "bindings/registry.h"
#include "conv/conv_winograd.h"

FASTCONV_BINDING(conv_algo) {
  using namespace fastconv;
  m.def("get_conv_algo", [] { return std::string(conv_algo_name(conv_algo())); },
        "Forward algorithm for 3x3 stride-1 convolutions: 'auto', 'direct' or 'winograd'.");
  m.def(
      "set_conv_algo",
      [](const std::string& name) {
        ConvAlgo a;
        if (!parse_conv_algo(name.c_str(), &a))
          fail("set_conv_algo: unknown algorithm '", name, "'; use one of auto, direct, winograd");
        set_conv_algo(a);
      },
      "Override FASTCONV_CONV_ALGO for this process (tests and benchmarks).");
}
