// One table of kernels per ISA. Driver code never tests for an ISA: it asks the active table.
// table_scalar.cpp fills every entry with portable kernels; table_avx2_x86.cpp starts from the
// scalar table and table_avx512f_x86.cpp from the AVX2 one, each overriding only the kernels
// that have a faster version for that ISA.
#pragma once

#include "dispatch/isa.h"
#include "conv/conv_ukernel.h"
#include "conv/winograd_ukernel.h"
#include "conv/winograd_wgrad_ukernel.h"
#include "gemm/ukernel.h"
#include "nn/ukernel.h"
#include "pool/ukernel.h"

namespace fastconv {

struct KernelTable {
  Isa isa = Isa::kScalar;
  GemmKernel gemm;
  GemvKernel gemv;  // products with at most gemv.max_m rows of op(A), B read in place
  PackTransposeFn packt = nullptr;  // transposing pack of GEMM micro-panels
  FmaPeakKernel fmapeak;  // FMA throughput probe (bench / fma_peak_probe), not a GEMM path
  ConvIgemmKernel conv_igemm;  // convolution forward (conv/conv_ukernel.h)
  ConvDirect1Kernel conv_direct1;  // forward, one input channel, <= 9 taps (conv_ukernel.h)
  ConvBwdFilterKernel conv_bwdw;
  ConvBwdFilterDirectKernel conv_bwdw_direct;  // backward-filter, C <= 4, short K (conv_ukernel.h)
  ConvWinogradKernels conv_winograd;  // F(2x2, 3x3) transforms (conv/winograd_ukernel.h)  // backward-filter for few input channels (conv_ukernel.h)
  ConvWinogradWgradKernels conv_winograd_wgrad;  // F(3x3, 2x2) backward-filter transforms
  PoolKernels pool;
  NnKernels nn;
};

KernelTable make_table_scalar();
KernelTable make_table_avx2();
KernelTable make_table_avx512f();

// The table in use. Chosen at first use: FASTCONV_ISA if set (an unsupported or unknown value
// throws), else the best ISA the CPU and OS support.
const KernelTable& active_table();
Isa active_isa();
// Switch the active ISA (tests and benchmarks use it to run every path in one process).
// Throws if the CPU cannot run it. Not meant to be called while kernels are running.
void set_active_isa(Isa isa);

}  // namespace fastconv
