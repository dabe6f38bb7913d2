#include "dispatch/table.h"

namespace fastconv {

KernelTable make_table_scalar() {
  KernelTable t;
  t.isa = Isa::kScalar;
  t.gemm = {f32_gemm_ukernel_4x8__scalar, 4, 8, 256, 1024, 512, "f32_gemm_ukernel_4x8__scalar"};
  t.packt = f32_packt_ukernel_1x1__scalar;
  t.fmapeak = {f32_fmapeak_ukernel_8x4__scalar, 8 * 4 * 2, "f32_fmapeak_ukernel_8x4__scalar"};
  t.conv_igemm = {f32_conv_igemm_ukernel_4x8__scalar, 4, 8, "f32_conv_igemm_ukernel_4x8__scalar"};
  return t;
}

}  // namespace fastconv
