#include "dispatch/table.h"

namespace fastconv {

KernelTable make_table_avx512f() {
  KernelTable t = make_table_avx2();
  t.isa = Isa::kAvx512f;
  // 12x32: 24 zmm accumulators + 2 B vectors, broadcasts folded into the FMAs.
  // kc=384: the A micro-panel (12 x 384 x 4 B = 18 KiB) stays in L1 while the B block
  // (384 x 512 x 4 B = 768 KiB) stays in L2.
  t.gemm = {f32_gemm_ukernel_12x32__avx512f, 12, 32, 384, 3072, 512,
            "f32_gemm_ukernel_12x32__avx512f", /*strided_b=*/true, /*strided_a=*/true};
  // GEMV up to 4 rows: from 5 rows the 12x32 kernel's 8-row tile reading B in place is as fast
  // or faster (5x2048x256: GEMV 152-158 us, tiles 107-110 us; 8 rows about even).
  t.gemv = {f32_gemv_ukernel_x256__avx512f, 4, 256, "f32_gemv_ukernel_x256__avx512f"};
  t.fmapeak = {f32_fmapeak_ukernel_16x16__avx512f, 16 * 16 * 2,
               "f32_fmapeak_ukernel_16x16__avx512f"};
  t.conv_igemm = {f32_conv_igemm_ukernel_12x32__avx512f, 12, 32, "f32_conv_igemm_ukernel_12x32__avx512f"};
  t.conv_direct1 = {f32_conv_direct1_ukernel_x32__avx512f, 32,
                    "f32_conv_direct1_ukernel_x32__avx512f"};
  t.conv_bwdw = {f32_conv_bwdw_ukernel_12x32__avx512f, 12, 32,
                 "f32_conv_bwdw_ukernel_12x32__avx512f"};
  t.conv_bwdw_direct = {f32_conv_bwdw_direct_ukernel_x32__avx512f, 32,
                       "f32_conv_bwdw_direct_ukernel_x32__avx512f"};
  t.conv_winograd = {f32_winograd_in_ukernel_c16__avx512f,
                     f32_winograd_out_ukernel_c16__avx512f,
                     f32_winograd_kernel_ukernel_c16__avx512f};
  // 4x12 panel kernels: the 12x32 GEMM kernel's 12-row A panels written as whole vectors.
  t.conv_winograd.input4 = f32_winograd4_in_ukernel_c16__avx512f;
  t.conv_winograd.output4 = f32_winograd4_out_ukernel_c16__avx512f;
  t.conv_winograd.kernel4 = f32_winograd4_kernel_ukernel_c16__avx512f;
  t.conv_winograd_wgrad = {f32_winograd_wgrad_dy_ukernel_c16__avx512f,
                           f32_winograd_wgrad_out_ukernel_c16__avx512f,
                           f32_winograd_wgrad_in_ukernel_4x12__avx512f,
                           f32_winograd_wgrad_dy_ukernel_4x12__avx512f, 12};
  t.conv_winograd_wgrad.dy_f4 = f32_winograd4_wgrad_dy_ukernel_c16__avx512f;
  t.conv_winograd_wgrad.output_f4 = f32_winograd4_wgrad_out_ukernel_c16__avx512f;
  t.conv_winograd_wgrad.input4_f4 = f32_winograd4_wgrad_in_ukernel_4x12__avx512f;
  t.pool.maxpool = f32_maxpool2d_ukernel_c16__avx512f;
  t.pool.maxpool_bwd = f32_maxpool2d_bwd_ukernel_c16__avx512f;
  t.pool.maxpool_name = "f32_maxpool2d_ukernel_c16__avx512f";
  t.nn.relu = f32_relu_ukernel_x16__avx512f;
  t.nn.relu_bwd = f32_relu_bwd_ukernel_x16__avx512f;
  t.nn.adam = f32_adam_ukernel_x16__avx512f;
  t.nn.sgd = f32_sgd_ukernel_x16__avx512f;
  t.nn.lrn = f32_lrn_ukernel_c8__avx512f;
  t.nn.lrn_bwd = f32_lrn_bwd_ukernel_c8__avx512f;
  t.nn.bias_add = f32_bias_add_ukernel_c16__avx512f;
  t.nn.colsum = f32_colsum_ukernel_c64__avx512f;
  t.nn.colsum_sqdiff = f32_colsum_sqdiff_ukernel_c64__avx512f;
  t.nn.bn_bwd_reduce = f32_batchnorm_bwd_reduce_ukernel_c64__avx512f;
  t.nn.bn_apply = f32_batchnorm_ukernel_c16__avx512f;
  t.nn.bn_bwd_apply = f32_batchnorm_bwd_ukernel_c16__avx512f;
  t.nn.dropout = f32_dropout_ukernel_x16__avx512f;
  t.nn.dropout_bwd = f32_dropout_bwd_ukernel_x16__avx512f;
  t.nn.softmax = f32_softmax_ukernel_c16__avx512f;
  t.nn.softmax_bwd = f32_softmax_bwd_ukernel_c16__avx512f;
  t.nn.softmax_xent = f32_softmax_xent_ukernel_c16__avx512f;
  t.pool.avgpool = f32_avgpool2d_ukernel_c64__avx512f;
  return t;
}

}  // namespace fastconv
