#include "dispatch/table.h"

namespace fastconv {

KernelTable make_table_scalar() {
  KernelTable t;
  t.isa = Isa::kScalar;
  t.gemm = {f32_gemm_ukernel_4x8__scalar, 4, 8, 256, 1024, 512, "f32_gemm_ukernel_4x8__scalar"};
  t.packt = f32_packt_ukernel_1x1__scalar;
  // GEMV for 1-2 rows: the scalar kernel reads B once per row, so from ~4 rows the packed 4x8
  // tiles, which reuse each B value across 4 rows, are faster (2048x256: 4 rows 540 vs 470 us).
  t.gemv = {f32_gemv_ukernel_x64__scalar, 2, 64, "f32_gemv_ukernel_x64__scalar"};
  t.fmapeak = {f32_fmapeak_ukernel_8x4__scalar, 8 * 4 * 2, "f32_fmapeak_ukernel_8x4__scalar"};
  t.conv_igemm = {f32_conv_igemm_ukernel_4x8__scalar, 4, 8, "f32_conv_igemm_ukernel_4x8__scalar"};
  t.conv_direct1 = {f32_conv_direct1_ukernel_x8__scalar, 8, "f32_conv_direct1_ukernel_x8__scalar"};
  t.conv_bwdw = {f32_conv_bwdw_ukernel_4x8__scalar, 4, 8, "f32_conv_bwdw_ukernel_4x8__scalar"};
  t.conv_bwdw_direct = {f32_conv_bwdw_direct_ukernel_x8__scalar, 8,
                       "f32_conv_bwdw_direct_ukernel_x8__scalar"};
  t.conv_winograd = {f32_winograd_in_ukernel_c1__scalar, f32_winograd_out_ukernel_c1__scalar,
                     f32_winograd_kernel_ukernel_c1__scalar};
  t.conv_winograd.input4 = f32_winograd4_in_ukernel_c1__scalar;
  t.conv_winograd.output4 = f32_winograd4_out_ukernel_c1__scalar;
  t.conv_winograd.kernel4 = f32_winograd4_kernel_ukernel_c1__scalar;
  t.conv_winograd_wgrad = {f32_winograd_wgrad_dy_ukernel_c1__scalar,
                           f32_winograd_wgrad_out_ukernel_c1__scalar};
  t.conv_winograd_wgrad.dy_f4 = f32_winograd4_wgrad_dy_ukernel_c1__scalar;
  t.conv_winograd_wgrad.output_f4 = f32_winograd4_wgrad_out_ukernel_c1__scalar;
  t.pool.maxpool = f32_maxpool2d_ukernel_c1__scalar;
  t.pool.maxpool_bwd = f32_maxpool2d_bwd_ukernel_c1__scalar;
  t.pool.avgpool = f32_avgpool2d_ukernel_c1__scalar;
  t.pool.avgpool_bwd = f32_avgpool2d_bwd_ukernel_c1__scalar;
  t.pool.maxpool_name = "f32_maxpool2d_ukernel_c1__scalar";
  t.nn.relu = f32_relu_ukernel_x1__scalar;
  t.nn.relu_bwd = f32_relu_bwd_ukernel_x1__scalar;
  t.nn.bias_add = f32_bias_add_ukernel_c1__scalar;
  t.nn.colsum = f32_colsum_ukernel_c1__scalar;
  t.nn.colsum_sqdiff = f32_colsum_sqdiff_ukernel_c1__scalar;
  t.nn.bn_bwd_reduce = f32_batchnorm_bwd_reduce_ukernel_c1__scalar;
  t.nn.bn_apply = f32_batchnorm_ukernel_c1__scalar;
  t.nn.bn_bwd_apply = f32_batchnorm_bwd_ukernel_c1__scalar;
  t.nn.softmax = f32_softmax_ukernel_c1__scalar;
  t.nn.softmax_bwd = f32_softmax_bwd_ukernel_c1__scalar;
  t.nn.softmax_xent = f32_softmax_xent_ukernel_c1__scalar;
  t.nn.dropout = f32_dropout_ukernel_x1__scalar;
  t.nn.dropout_bwd = f32_dropout_bwd_ukernel_x1__scalar;
  t.nn.lrn = f32_lrn_ukernel_c1__scalar;
  t.nn.lrn_bwd = f32_lrn_bwd_ukernel_c1__scalar;
  t.nn.sgd = f32_sgd_ukernel_x1__scalar;
  t.nn.adam = f32_adam_ukernel_x1__scalar;
  return t;
}

}  // namespace fastconv
