// The tiled few-row product of few_rows.cpp: y = x·wᵀ for a few rows of x (float32), each
// tile of J weight rows read from memory once for every row of x, the tile after next
// prefetched meanwhile. Where the weights come from is the `Weights` type's business:
//   v16 load(int j, int64_t k)      16 weights of tile row j from column k
//   void prefetch(int j, int64_t k) the same place AHEAD tiles on
//   float at(int j, int64_t k)      one weight (the columns past the last 16 lanes)
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

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
template <int R, bool PREFETCH, class Weights>
static inline void pass(const float* x, const Weights& w, int64_t K, int64_t k0, int64_t k1,
                        v16* acc) {
  v16 a[J * G];
  for (int i = 0; i < R * J; ++i) a[i] = acc[i];
  for (int64_t k = k0; k < k1; k += 16) {
    v16 wv[J];
    for (int j = 0; j < J; ++j) {
      wv[j] = w.load(j, k);
      if (PREFETCH) w.prefetch(j, k);
    }
    for (int r = 0; r < R; ++r) {
      const v16 xv = load16(x + r * K + k);
      for (int j = 0; j < J; ++j) a[r * J + j] += xv * wv[j];
    }
  }
  for (int i = 0; i < R * J; ++i) acc[i] = a[i];
}

template <bool PREFETCH, class Weights>
static inline void run_pass(int rows, const float* x, const Weights& w, int64_t K, int64_t k0,
                            int64_t k1, v16* acc) {
  switch (rows) {
    case 4: pass<4, PREFETCH>(x, w, K, k0, k1, acc); break;
    case 3: pass<3, PREFETCH>(x, w, K, k0, k1, acc); break;
    case 2: pass<2, PREFETCH>(x, w, K, k0, k1, acc); break;
    default: pass<1, PREFETCH>(x, w, K, k0, k1, acc); break;
  }
}

// y[r, j] for all R rows of x and the J weight rows of `w` (y's rows `ldy` apart).
template <class Weights>
static inline void tile(const float* x, int64_t R, int64_t K, const Weights& w, float* y,
                        int64_t ldy, v16* acc) {
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
        for (int64_t k = whole; k < K; ++k) s += x[r * K + k] * w.at(j, k);
        y[r * ldy + j] = s;
      }
    }
  }
}
