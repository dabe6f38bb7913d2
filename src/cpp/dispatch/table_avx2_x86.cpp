#include "dispatch/table.h"

namespace fastconv {

KernelTable make_table_avx2() {
  KernelTable t = make_table_scalar();
  t.isa = Isa::kAvx2;
  // 6x16 keeps 12 ymm accumulators + 2 B vectors + 1 broadcast in the 16 ymm registers.
  t.gemm = {f32_gemm_ukernel_6x16__avx2, 6, 16, 256, 3072, 768, "f32_gemm_ukernel_6x16__avx2"};
  // 8x8 register transposes: every store writes 8 consecutive floats.
  t.packt = f32_packt_ukernel_8x8__avx2;
  // GEMV up to 8 rows: this ISA's tile path packs all of B on every call (no in-place B), so
  // the GEMV kernel wins even with narrow blocks (8x2048x256: 270-470 vs 355-520 us; 5 rows
  // 150-260 vs 410 us; 8x4096x4096: 7-10 vs 42 ms).
  t.gemv = {f32_gemv_ukernel_x96__avx2, 8, 96, "f32_gemv_ukernel_x96__avx2"};
  t.fmapeak = {f32_fmapeak_ukernel_12x8__avx2, 12 * 8 * 2, "f32_fmapeak_ukernel_12x8__avx2"};
  t.conv_igemm = {f32_conv_igemm_ukernel_6x16__avx2, 6, 16, "f32_conv_igemm_ukernel_6x16__avx2"};
  t.conv_direct1 = {f32_conv_direct1_ukernel_x16__avx2, 16, "f32_conv_direct1_ukernel_x16__avx2"};
  t.conv_bwdw = {f32_conv_bwdw_ukernel_6x16__avx2, 6, 16, "f32_conv_bwdw_ukernel_6x16__avx2"};
  t.conv_bwdw_direct = {f32_conv_bwdw_direct_ukernel_x8__avx2, 8,
                       "f32_conv_bwdw_direct_ukernel_x8__avx2"};
  t.conv_winograd = {f32_winograd_in_ukernel_c8__avx2, f32_winograd_out_ukernel_c8__avx2,
                     f32_winograd_kernel_ukernel_c8__avx2};
  t.conv_winograd.input4 = f32_winograd4_in_ukernel_c8__avx2;
  t.conv_winograd.output4 = f32_winograd4_out_ukernel_c8__avx2;
  t.conv_winograd.kernel4 = f32_winograd4_kernel_ukernel_c8__avx2;
  // 4x6 panel kernels: the 6x16 GEMM kernel's 6-row A panels written as whole vectors.
  t.conv_winograd_wgrad = {f32_winograd_wgrad_dy_ukernel_c8__avx2,
                           f32_winograd_wgrad_out_ukernel_c8__avx2,
                           f32_winograd_wgrad_in_ukernel_4x6__avx2,
                           f32_winograd_wgrad_dy_ukernel_4x6__avx2, 6};
  t.conv_winograd_wgrad.dy_f4 = f32_winograd4_wgrad_dy_ukernel_c8__avx2;
  t.conv_winograd_wgrad.output_f4 = f32_winograd4_wgrad_out_ukernel_c8__avx2;
  t.conv_winograd_wgrad.input4_f4 = f32_winograd4_wgrad_in_ukernel_4x6__avx2;
  t.pool.maxpool = f32_maxpool2d_ukernel_c8__avx2;
  t.pool.maxpool_bwd = f32_maxpool2d_bwd_ukernel_c8__avx2;
  t.pool.maxpool_name = "f32_maxpool2d_ukernel_c8__avx2";
  t.nn.relu = f32_relu_ukernel_x8__avx2;
  t.nn.relu_bwd = f32_relu_bwd_ukernel_x8__avx2;
  t.nn.adam = f32_adam_ukernel_x8__avx2;
  t.nn.sgd = f32_sgd_ukernel_x8__avx2;
  t.nn.lrn = f32_lrn_ukernel_c4__avx2;
  t.nn.lrn_bwd = f32_lrn_bwd_ukernel_c4__avx2;
  t.nn.bias_add = f32_bias_add_ukernel_c8__avx2;
  t.nn.colsum = f32_colsum_ukernel_c32__avx2;
  t.nn.colsum_sqdiff = f32_colsum_sqdiff_ukernel_c32__avx2;
  t.nn.bn_bwd_reduce = f32_batchnorm_bwd_reduce_ukernel_c32__avx2;
  t.nn.bn_apply = f32_batchnorm_ukernel_c8__avx2;
  t.nn.bn_bwd_apply = f32_batchnorm_bwd_ukernel_c8__avx2;
  t.nn.dropout = f32_dropout_ukernel_x8__avx2;
  t.nn.dropout_bwd = f32_dropout_bwd_ukernel_x8__avx2;
  t.nn.softmax = f32_softmax_ukernel_c8__avx2;
  t.nn.softmax_bwd = f32_softmax_bwd_ukernel_c8__avx2;
  t.nn.softmax_xent = f32_softmax_xent_ukernel_c8__avx2;
  t.pool.avgpool = f32_avgpool2d_ukernel_c32__avx2;
  // avgpool_bwd stays scalar: it only stores dy * scale, which the compiler vectorises as
  // well; the hand-written SIMD versions measured no faster (CPU time, lab shapes).
  return t;
}

}  // namespace fastconv
