// RMSNorm in one op: y = w * (x * rsqrt(mean(x*x) + eps)) over the last dimension (float32).
// transformers' RMSNorm runs that as six to eight ATen ops, each a dispatch and an
// allocation, which a decode step pays ~50 times; after a step streamed its weights through
// the caches each of those ops runs several times slower than on its own (~100 µs against
// ~15 µs for the small shape's 8 x 768 rows). Here one pass per row: the sum of squares in
// float64 and the scale rounded once to float32 (torch sums in float32, in its own order,
// and its rsqrt is not always correctly rounded), then w * (x * scale) as torch does. The
// result differs from the layer's own by float32 rounding of the scale; the engine keeps this
// kernel for a layer only where its first call agreed with the layer's own forward to that
// (norms.py). Built with few_rows.cpp by harness/engine/native.py.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace {

double sum_of_squares(const float* row, int64_t D) {
  double part[8] = {};
  int64_t i = 0;
  for (; i + 8 <= D; i += 8)
    for (int l = 0; l < 8; ++l) part[l] += double(row[i + l]) * double(row[i + l]);
  double total = 0.0;
  for (; i < D; ++i) total += double(row[i]) * double(row[i]);
  for (int l = 0; l < 8; ++l) total += part[l];
  return total;
}

// Offsets (in elements) of every row of a tensor whose last dimension is the row.
std::vector<int64_t> row_offsets(const at::Tensor& t) {
  const int64_t dims = t.dim() - 1;
  const int64_t rows = t.numel() / std::max<int64_t>(t.size(-1), 1);
  std::vector<int64_t> offsets(rows, 0);
  std::vector<int64_t> index(std::max<int64_t>(dims, 1), 0);
  for (int64_t r = 0; r < rows; ++r) {
    int64_t at = 0;
    for (int64_t d = 0; d < dims; ++d) at += index[d] * t.stride(d);
    offsets[r] = at;
    for (int64_t d = dims - 1; d >= 0; --d) {
      if (++index[d] < t.size(d)) break;
      index[d] = 0;
    }
  }
  return offsets;
}

at::Tensor rms_norm_rows(const at::Tensor& x, const at::Tensor& weight, double eps) {
  TORCH_CHECK(x.scalar_type() == at::kFloat && weight.scalar_type() == at::kFloat &&
                  x.device().is_cpu() && weight.device().is_cpu(),
              "rms_norm_rows: float32 CPU tensors");
  TORCH_CHECK(x.dim() >= 1 && weight.dim() == 1 && weight.size(0) == x.size(-1),
              "rms_norm_rows: a weight as wide as x's last dimension");
  const at::Tensor xs = x.stride(-1) == 1 ? x : x.contiguous();
  auto out = at::empty_like(xs);  // the strides torch's elementwise ops would give
  const int64_t D = xs.size(-1);
  if (xs.numel() == 0) return out;
  TORCH_CHECK(out.stride(-1) == 1, "rms_norm_rows: rows must be contiguous");
  const auto from = row_offsets(xs), to = row_offsets(out);
  const at::Tensor wc = weight.contiguous();
  const float* xp = xs.data_ptr<float>();
  const float* wp = wc.data_ptr<float>();
  float* yp = out.data_ptr<float>();
  const double epsilon = float(eps);  // torch adds eps as a float32 scalar
  const int64_t rows = int64_t(from.size());
  const int64_t grain = std::max<int64_t>(1, 32768 / D);
  at::parallel_for(0, rows, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* row = xp + from[r];
      float* y = yp + to[r];
      const float scale = float(1.0 / std::sqrt(sum_of_squares(row, D) / D + epsilon));
      for (int64_t i = 0; i < D; ++i) y[i] = wp[i] * (row[i] * scale);
    }
  });
  return out;
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(fact_harness, m) {
  m.def("rms_norm_rows(Tensor x, Tensor weight, float eps) -> Tensor");
}

TORCH_LIBRARY_IMPL(fact_harness, CPU, m) { m.impl("rms_norm_rows", &rms_norm_rows); }
