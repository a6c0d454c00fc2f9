// y = x·wᵀ for a few rows of x (float32, CPU), the product of a decode step: each weight
// tile is read from memory once, the next tiles prefetched while this one is multiplied
// against every row (tiles.h). Built for this CPU by harness/engine/native.py (g++ -O3
// -march=native); registered as torch.ops.fact_harness.few_rows_linear. Sums run in another order than
// BLAS's, so results differ from F.linear by float32 rounding.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <vector>

#include "tiles.h"

// A float32 weight tile: J rows of K columns from w.
struct Dense {
  const float* w;
  int64_t K;
  v16 load(int j, int64_t k) const { return load16(w + j * K + k); }
  void prefetch(int j, int64_t k) const {
    __builtin_prefetch(w + (j + J * AHEAD) * K + k, 0, LOCALITY);
  }
  float at(int j, int64_t k) const { return w[j * K + k]; }
};

static at::Tensor few_rows_linear(const at::Tensor& x, const at::Tensor& w) {
  TORCH_CHECK(x.dim() == 2 && w.dim() == 2 && x.size(1) == w.size(1), "few_rows_linear: shapes");
  TORCH_CHECK(x.scalar_type() == at::kFloat && w.scalar_type() == at::kFloat,
              "few_rows_linear: float32 only");
  TORCH_CHECK(x.device().is_cpu() && w.device().is_cpu(), "few_rows_linear: CPU only");
  auto xc = x.contiguous();
  auto wc = w.contiguous();
  const int64_t R = xc.size(0), K = xc.size(1), O = wc.size(0);
  auto y = at::empty({R, O}, xc.options());
  if (R == 0 || O == 0) return y;
  const float* xp = xc.data_ptr<float>();
  const float* wp = wc.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  const int64_t tiles = O / J;
  const int64_t groups = (R + G - 1) / G;
  at::parallel_for(0, tiles, 16, [&](int64_t t0, int64_t t1) {
    std::vector<v16> acc(groups * J * G);
    for (int64_t t = t0; t < t1; ++t)
      tile(xp, R, K, Dense{wp + t * J * K, K}, yp + t * J, O, acc.data());
  });
  for (int64_t o = tiles * J; o < O; ++o) {  // the last O % J weight rows
    for (int64_t r = 0; r < R; ++r) {
      float s = 0.f;
      for (int64_t k = 0; k < K; ++k) s += xp[r * K + k] * wp[o * K + k];
      yp[r * O + o] = s;
    }
  }
  return y;
}

TORCH_LIBRARY(fact_harness, m) { m.def("few_rows_linear(Tensor x, Tensor weight) -> Tensor"); }

TORCH_LIBRARY_IMPL(fact_harness, CPU, m) { m.impl("few_rows_linear", &few_rows_linear); }
