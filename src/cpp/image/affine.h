// Batched affine resampling of images with bilinear interpolation: the native core of
// fastconv.image (rotate, shift, random_rotate_shift).
#pragma once

#include <cstdint>

namespace fastconv {

// x, y: (n, h, w, c) float32, C-contiguous, distinct buffers.
// coeffs: (n, 6) float64 per image {m00, m01, m10, m11, b0, b1}: output pixel (r, q) samples the
//   input at row  m00*r + m01*q + b0  and column  m10*r + m11*q + b1  (pixel centres at
//   integers), the "output -> input" mapping of scipy.ndimage.affine_transform.
// fill: (n, c) float32, the value of every output pixel whose sample point lies outside
//   [0, h-1] x [0, w-1] (scipy's mode='constant': no blending with the fill at the border).
// Inside, the value is the bilinear (order=1) interpolation of the four neighbours.
void affine_bilinear(const float* x, int64_t n, int64_t h, int64_t w, int64_t c,
                     const double* coeffs, const float* fill, float* y);

}  // namespace fastconv

namespace fastconv {

// x: (n, hw, c) float32 -> med: (n, c), the median over the hw pixels of each image and
// channel, defined as numpy.median (an even count averages the two middle values in float32;
// any NaN gives NaN). hw >= 1.
void image_median(const float* x, int64_t n, int64_t hw, int64_t c, float* med);
// The same for uint8 images (equal to numpy.median of their float32 values).
void image_median_u8(const uint8_t* x, int64_t n, int64_t hw, int64_t c, float* med);

}  // namespace fastconv
