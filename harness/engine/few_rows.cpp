// y = x·wᵀ for a few rows of x (float32, CPU), the product of a decode step: each weight
// tile is read from memory once, the next tiles prefetched while this one is multiplied
// against every row. Built for this CPU by harness/engine/native.py (g++ -O3 -march=native);
// registered as torch.ops.fact_harness.few_rows_linear. Sums run in another order than
// BLAS's, so results differ from F.linear by float32 rounding.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cstring>
#include <vector>

typedef float v16 __attribute__((vector_size(64)));
typedef int i16 __attribute__((vector_size(64)));

// Measured on a 2-core AVX-512 Xeon, 600 MB of weights: 2 x 8 tiles, prefetching 1, 4 or 8
// tiles ahead, or into L1 / L3 rather than L2, were no faster, most of them slower.
constexpr int J = 4;         // weight rows per tile
constexpr int G = 4;         // x rows per pass over a tile's k-block (J * G = 16 accumulators)
constexpr int64_t KB = 512;  // k-block: J weight rows and the x rows' slices stay in L1
constexpr int AHEAD = 2;     // prefetch the weight tile this many tiles ahead,
constexpr int LOCALITY = 2;  // into L2 (__builtin_prefetch's temporal locality 2)

static inline v16 load16(const float* p) { v16 v; std::memcpy(&v, p, sizeof v); return v; }

static inline v16 fold(v16 x, v16 y, i16 lo, i16 hi) {
  return __builtin_shuffle(x, y, lo) + __builtin_shuffle(x, y, hi);
}

// Sixteen vectors -> one: lane i holds the sum of the lanes of a[i].
static inline v16 reduce16(const v16* a) {
  const i16 l1 = {0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23};
  const i16 h1 = {8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31};
  const i16 l2 = {0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27};
  const i16 h2 = {4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31};
  const i16 l3 = {0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29};
  const i16 h3 = {2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31};
  const i16 l4 = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30};
  const i16 h4 = {1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31};
  v16 b[8], c[4], d[2];
  for (int i = 0; i < 8; ++i) b[i] = fold(a[2 * i], a[2 * i + 1], l1, h1);
  for (int i = 0; i < 4; ++i) c[i] = fold(b[2 * i], b[2 * i + 1], l2, h2);
  for (int i = 0; i < 2; ++i) d[i] = fold(c[2 * i], c[2 * i + 1], l3, h3);
  return fold(d[0], d[1], l4, h4);
}

// acc[r * J + j] += x[r, k0:k1] * w[j, k0:k1] lane-wise, for r < R, over whole 16-lane chunks.
template <int R, bool PREFETCH>
static void pass(const float* x, const float* w, int64_t K, int64_t k0, int64_t k1, v16* acc) {
  v16 a[J * G];
  for (int i = 0; i < R * J; ++i) a[i] = acc[i];
  for (int64_t k = k0; k < k1; k += 16) {
    v16 wv[J];
    for (int j = 0; j < J; ++j) {
      wv[j] = load16(w + j * K + k);
      if (PREFETCH) __builtin_prefetch(w + (j + J * AHEAD) * K + k, 0, LOCALITY);
    }
    for (int r = 0; r < R; ++r) {
      const v16 xv = load16(x + r * K + k);
      for (int j = 0; j < J; ++j) a[r * J + j] += xv * wv[j];
    }
  }
  for (int i = 0; i < R * J; ++i) acc[i] = a[i];
}

template <bool PREFETCH>
static void run_pass(int rows, const float* x, const float* w, int64_t K, int64_t k0, int64_t k1,
                     v16* acc) {
  switch (rows) {
    case 4: pass<4, PREFETCH>(x, w, K, k0, k1, acc); break;
    case 3: pass<3, PREFETCH>(x, w, K, k0, k1, acc); break;
    case 2: pass<2, PREFETCH>(x, w, K, k0, k1, acc); break;
    default: pass<1, PREFETCH>(x, w, K, k0, k1, acc); break;
  }
}

// y[r, j] for all R rows and the J weight rows at w (y's rows `ldy` apart).
static void tile(const float* x, int64_t R, int64_t K, const float* w, float* y, int64_t ldy,
                 v16* acc) {
  const int64_t groups = (R + G - 1) / G;
  const int64_t whole = K / 16 * 16;
  std::fill(acc, acc + groups * J * G, v16{});
  for (int64_t k0 = 0; k0 < whole; k0 += KB) {
    const int64_t k1 = std::min(k0 + KB, whole);
    for (int64_t g = 0; g < groups; ++g) {
      const int rows = static_cast<int>(std::min<int64_t>(G, R - g * G));
      if (g == 0) run_pass<true>(rows, x + g * G * K, w, K, k0, k1, acc + g * J * G);
      else run_pass<false>(rows, x + g * G * K, w, K, k0, k1, acc + g * J * G);
    }
  }
  for (int64_t g = 0; g < groups; ++g) {
    const v16 sums = reduce16(acc + g * J * G);
    for (int64_t r = g * G; r < std::min(R, g * G + G); ++r) {
      for (int j = 0; j < J; ++j) {
        float s = sums[(r - g * G) * J + j];
        for (int64_t k = whole; k < K; ++k) s += x[r * K + k] * w[j * K + k];
        y[r * ldy + j] = s;
      }
    }
  }
}

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
    for (int64_t t = t0; t < t1; ++t) tile(xp, R, K, wp + t * J * K, yp + t * J, O, acc.data());
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
