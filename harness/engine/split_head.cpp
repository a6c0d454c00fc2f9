// A float32 output head (vocab x hidden) held in place as blocks of 16-bit halves: each block
// of `block` rows holds the high halves of its rows (their bfloat16 truncations, a plain
// bfloat16 matrix that a library product reads), then their low halves. The same bytes as
// the float32 matrix, so no copy: every float32 weight is rebuilt exactly from its halves.
//
// split_pick: each row's argmax of x·wᵀ, given the product of the high halves with x rounded
// to bfloat16 (`approx`, computed by the caller). Every approximate logit is within a bound
// of the exact one (the low halves' norm times |x|, the high halves' norm times x's rounding,
// float32 summation and the output's bfloat16 rounding); the logits whose bound reaches the
// best lower bound are computed again exactly (float64 sums of the float32 weights), and the
// best of those is the argmax of the exact logits: the token the full float32 head gives, up
// to float32 rounding between near-ties.
// Built with few_rows.cpp by harness/engine/native.py; ops in torch.ops.fact_harness.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mutex>
#include <vector>

#include "tiles.h"

namespace {

typedef uint16_t h16x __attribute__((vector_size(32)));
typedef uint32_t u16x __attribute__((vector_size(64)));

// Where row `row`'s halves start, in uint16 units from the matrix's start.
struct Layout {
  int64_t rows, cols, block;
  int64_t first(int64_t row) const { return row / block * block; }
  int64_t count(int64_t row) const { return std::min(block, rows - first(row)); }
  int64_t hi(int64_t row) const { return first(row) * 2 * cols + (row - first(row)) * cols; }
  int64_t lo(int64_t row) const { return hi(row) + count(row) * cols; }
};

inline float as_float(uint32_t bits) { float f; std::memcpy(&f, &bits, sizeof f); return f; }

inline float weight(const uint16_t* hi, const uint16_t* lo, int64_t k) {
  return as_float((uint32_t(hi[k]) << 16) | lo[k]);
}

inline u16x widen(const uint16_t* p) {
  h16x h; std::memcpy(&h, p, sizeof h);
  return __builtin_convertvector(h, u16x);
}

inline v16 load_w(const uint16_t* hi, const uint16_t* lo) {
  const u16x bits = (widen(hi) << 16) | widen(lo);
  v16 v; std::memcpy(&v, &bits, sizeof v);
  return v;
}

// A split weight tile: J rows of K columns whose halves start at hi / lo.
struct Halves {
  const uint16_t* hi;
  const uint16_t* lo;
  int64_t K;
  v16 load(int j, int64_t k) const { return load_w(hi + j * K + k, lo + j * K + k); }
  void prefetch(int j, int64_t k) const {
    __builtin_prefetch(hi + (j + J * AHEAD) * K + k, 0, LOCALITY);
    __builtin_prefetch(lo + (j + J * AHEAD) * K + k, 0, LOCALITY);
  }
  float at(int j, int64_t k) const { return weight(hi + j * K, lo + j * K, k); }
};

Layout layout_of(const at::Tensor& w, int64_t block) {
  TORCH_CHECK(w.dim() == 2 && w.scalar_type() == at::kFloat && w.is_contiguous() &&
                  w.device().is_cpu(),
              "split head: a contiguous float32 CPU matrix");
  TORCH_CHECK(block > 0 && block % J == 0, "split head: block must be a positive multiple of ", J);
  return Layout{w.size(0), w.size(1), block};
}

uint16_t* halves(const at::Tensor& w) { return reinterpret_cast<uint16_t*>(w.data_ptr<float>()); }

at::Tensor rows_of(const at::Tensor& x, const Layout& at) {
  TORCH_CHECK(x.dim() == 2 && x.size(1) == at.cols && x.scalar_type() == at::kFloat &&
                  x.device().is_cpu(),
              "split head: x must be float32 CPU rows of the matrix's width");
  return x.contiguous();
}

float largest(const float* p, int64_t n) {  // of non-negative values (the norms)
  v16 m{};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const v16 v = load16(p + i);
    m = v > m ? v : m;
  }
  float best = 0.f;
  for (int l = 0; l < 16; ++l) best = std::max(best, m[l]);
  for (; i < n; ++i) best = std::max(best, p[i]);
  return best;
}

float up(double v) {  // a float32 no smaller than v (infinity where v is not finite)
  if (!std::isfinite(v)) return std::numeric_limits<float>::infinity();
  return std::nextafter(float(v), std::numeric_limits<float>::infinity());
}

// body(base, first row, rows, row scratch, low-halves scratch) for every block, in parallel:
// the block's rows start at `base` (uint16 units), each thread keeps its own scratch.
template <class Body>
void each_block(const Layout& at, uint16_t* h, Body&& body) {
  const int64_t blocks = (at.rows + at.block - 1) / at.block;
  at::parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
    std::vector<uint32_t> row(at.cols);
    std::vector<uint16_t> low;
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t first = blk * at.block;
      body(h + first * 2 * at.cols, first, std::min(at.block, at.rows - first), row, low);
    }
  });
}

// In place: float32 rows -> blocks of high halves then low halves. Returns (2, rows) float32,
// rounded up: each row's |w_i - hi_i|_2 (what its low halves hold) and |hi_i|_2.
at::Tensor split_weight(at::Tensor w, int64_t block) {
  const Layout at = layout_of(w, block);
  const int64_t V = at.rows, K = at.cols;
  auto norms = at::empty({2, V}, w.options());
  float* nb = norms.data_ptr<float>();
  uint16_t* h = halves(w);
  const double u = std::ldexp(1.0, -24);  // float32 sums of K squares: within (1 + gamma)
  const double gamma = (K + 1) * u / (1.0 - (K + 1) * u);
  each_block(at, h, [&](uint16_t* base, int64_t first, int64_t n, std::vector<uint32_t>& row,
                        std::vector<uint16_t>& low) {
    low.resize(n * K);
    // Row i's high halves go where rows < i/2 + 1 were: rows already read (row 0: from a copy).
    for (int64_t i = 0; i < n; ++i) {
      std::memcpy(row.data(), base + i * 2 * K, K * sizeof(uint32_t));
      uint16_t* hi = base + i * K;
      uint16_t* lo = low.data() + i * K;
      v16 rest{}, high{};
      int64_t k = 0;
      for (; k + 16 <= K; k += 16) {
        u16x bits; std::memcpy(&bits, row.data() + k, sizeof bits);
        const h16x top16 = __builtin_convertvector(bits >> 16, h16x);
        const h16x low16 = __builtin_convertvector(bits & 0xFFFFu, h16x);
        std::memcpy(hi + k, &top16, sizeof top16);
        std::memcpy(lo + k, &low16, sizeof low16);
        const u16x top_bits = bits & 0xFFFF0000u;
        v16 whole, top;
        std::memcpy(&whole, &bits, sizeof whole);
        std::memcpy(&top, &top_bits, sizeof top);
        const v16 d = whole - top;  // exact: at most 16 significant bits
        rest += d * d;
        high += top * top;
      }
      double r = 0.0, t = 0.0;
      for (int l = 0; l < 16; ++l) { r += rest[l]; t += high[l]; }
      for (; k < K; ++k) {
        hi[k] = uint16_t(row[k] >> 16);
        lo[k] = uint16_t(row[k] & 0xFFFFu);
        const double top = as_float(row[k] & 0xFFFF0000u);
        const double d = double(as_float(row[k])) - top;
        r += d * d;
        t += top * top;
      }
      nb[first + i] = up(std::sqrt(r * (1.0 + 2.0 * gamma)));
      nb[V + first + i] = up(std::sqrt(t * (1.0 + 2.0 * gamma)));
    }
    std::memcpy(base + n * K, low.data(), n * K * sizeof(uint16_t));
  });
  return norms;
}

// In place: the split blocks back to float32 rows.
void unsplit_weight(at::Tensor w, int64_t block) {
  const Layout at = layout_of(w, block);
  const int64_t K = at.cols;
  uint16_t* h = halves(w);
  each_block(at, h, [&](uint16_t* base, int64_t, int64_t n, std::vector<uint32_t>& row,
                        std::vector<uint16_t>& low) {
    low.assign(base + n * K, base + 2 * n * K);
    // Last row first: row i's float32s cover high halves of rows 2i and 2i + 1, done by then.
    for (int64_t i = n - 1; i >= 0; --i) {
      const uint16_t* hi = base + i * K;
      const uint16_t* lo = low.data() + i * K;
      for (int64_t k = 0; k < K; ++k) row[k] = (uint32_t(hi[k]) << 16) | lo[k];
      std::memcpy(base + i * 2 * K, row.data(), K * sizeof(uint32_t));
    }
  });
}

// The float32 rows `ids` of the split matrix (an embedding lookup).
at::Tensor split_rows(const at::Tensor& w, const at::Tensor& ids, int64_t block) {
  const Layout at = layout_of(w, block);
  TORCH_CHECK(ids.scalar_type() == at::kLong && ids.device().is_cpu(), "split_rows: int64 CPU ids");
  auto flat = ids.contiguous().view(-1);
  const int64_t n = flat.numel(), K = at.cols;
  const int64_t* id = flat.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i)
    TORCH_CHECK(id[i] >= 0 && id[i] < at.rows, "split_rows: id ", id[i], " out of range");
  auto out = at::empty({n, K}, w.options());
  uint32_t* o = reinterpret_cast<uint32_t*>(out.data_ptr<float>());
  const uint16_t* h = halves(w);
  at::parallel_for(0, n, 64, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const uint16_t* hi = h + at.hi(id[i]);
      const uint16_t* lo = h + at.lo(id[i]);
      for (int64_t k = 0; k < K; ++k) o[i * K + k] = (uint32_t(hi[k]) << 16) | lo[k];
    }
  });
  return out;
}

// x·wᵀ with the exact float32 weights of the split matrix (few rows of x).
at::Tensor split_linear(const at::Tensor& x, const at::Tensor& w, int64_t block) {
  const Layout at = layout_of(w, block);
  auto xc = rows_of(x, at);
  const int64_t R = xc.size(0), K = at.cols, V = at.rows;
  auto y = at::empty({R, V}, xc.options());
  if (R == 0 || V == 0) return y;
  const float* xp = xc.data_ptr<float>();
  const uint16_t* h = halves(w);
  float* yp = y.data_ptr<float>();
  const int64_t groups = (R + G - 1) / G;
  at::parallel_for(0, (V + J - 1) / J, 16, [&](int64_t t0, int64_t t1) {
    std::vector<v16> acc(groups * J * G);
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t row = t * J;
      if (row + J <= V && at.first(row) == at.first(row + J - 1)) {
        tile(xp, R, K, Halves{h + at.hi(row), h + at.lo(row), K}, yp + row, V, acc.data());
        continue;
      }
      for (int64_t o = row; o < std::min(V, row + J); ++o) {  // a tile cut by the matrix's end
        for (int64_t r = 0; r < R; ++r) {
          float s = 0.f;
          for (int64_t k = 0; k < K; ++k) s += xp[r * K + k] * weight(h + at.hi(o), h + at.lo(o), k);
          yp[r * V + o] = s;
        }
      }
    }
  });
  return y;
}

// Each row's argmax of x·wᵀ (see the top of this file), from approx = hi·x'ᵀ (rows x R,
// bfloat16), x' = x rounded to bfloat16 (`xs`). -1 for a row whose x or approximate logits
// are not finite: its caller computes that row's logits instead.
at::Tensor split_pick(const at::Tensor& x, const at::Tensor& xs, const at::Tensor& w, int64_t block,
                      const at::Tensor& norms, const at::Tensor& approx) {
  const Layout at = layout_of(w, block);
  auto xc = rows_of(x, at);
  const int64_t R = xc.size(0), V = at.rows, K = at.cols;
  TORCH_CHECK(norms.dim() == 2 && norms.size(0) == 2 && norms.size(1) == V &&
                  norms.scalar_type() == at::kFloat && norms.is_contiguous(),
              "split_pick: split_weight's norms");
  TORCH_CHECK(xs.sizes() == xc.sizes() && xs.scalar_type() == at::kBFloat16,
              "split_pick: x rounded to bfloat16");
  TORCH_CHECK(approx.dim() == 2 && approx.size(0) == V && approx.size(1) == R &&
                  approx.scalar_type() == at::kBFloat16 && approx.device().is_cpu(),
              "split_pick: approx must be the high halves' product, rows x R, bfloat16");
  auto chosen = at::full({R}, -1, xc.options().dtype(at::kLong));
  if (R == 0 || V == 0) return chosen;
  TORCH_CHECK(V * R < (int64_t(1) << 31), "split_pick: at most 2^31 approximate logits");
  auto screened = xs.contiguous().to(at::kFloat);
  auto ac = approx.contiguous();
  const float* xp = xc.data_ptr<float>();
  const float* sp = screened.data_ptr<float>();
  const uint16_t* ap = reinterpret_cast<const uint16_t*>(ac.data_ptr<at::BFloat16>());
  const float* e1 = norms.data_ptr<float>();  // |w_i - hi_i|
  const float* e2 = e1 + V;                    // |hi_i|
  const double e1_max = largest(e1, V), e2_max = largest(e2, V);
  const uint16_t* h = halves(w);
  const double u = std::ldexp(1.0, -24);
  const double gamma = 2.0 * K * u / (1.0 - 2.0 * K * u);  // float32 sums of K products, twice over
  const double rounding = std::ldexp(1.0, -7);               // bfloat16 output: twice its half-ulp
  const double inf = std::numeric_limits<double>::infinity();
  // Per row: |exact_i - a_i| <= slack_i = cx |w_i - hi_i| + cs |hi_i| + rounding |a_i| with
  // cx = |x|, cs = |x - x'| + gamma |x'| (rounded up), x' = x rounded to bfloat16.
  std::vector<double> cx(R), cs(R);
  for (int64_t r = 0; r < R; ++r) {
    double nx = 0.0, nd = 0.0, ns = 0.0;
    for (int64_t k = 0; k < K; ++k) {
      const double v = xp[r * K + k], s = sp[r * K + k];
      nx += v * v;
      nd += (v - s) * (v - s);
      ns += s * s;
    }
    cx[r] = std::sqrt(nx) * (1.0 + 1e-6);
    cs[r] = (std::sqrt(nd) + gamma * std::sqrt(ns)) * (1.0 + 1e-6);
  }
  auto value = [&](int64_t f) { return double(as_float(uint32_t(ap[f]) << 16)); };  // flat index
  auto slack = [&](int64_t i, int64_t r, double a) {
    return e1[i] * cx[r] + e2[i] * cs[r] + rounding * std::fabs(a) + 1e-30;
  };
  // approx is flat: element f is row f % R of vocabulary entry f / R. Where R divides 16,
  // lane l of every 16-element chunk holds row l % R, so whole chunks are compared at once.
  const int64_t N = V * R;
  const bool lanes = 16 % R == 0;
  const int64_t grain = 16 * 1024;
  struct Best { double value; int64_t at; };
  const Best none{-inf, N};
  // Pass 1: each row's largest approximate logit (first position among equals).
  std::vector<Best> top(R, none);
  std::vector<double> size(R, 0.0);
  std::mutex merge;
  at::parallel_for(0, (N + 15) / 16, grain / 16, [&](int64_t c0, int64_t c1) {
    std::vector<Best> mine(R, none);
    std::vector<double> big(R, 0.0);
    int64_t f = c0 * 16;
    const int64_t end = std::min(N, c1 * 16);
    if (lanes) {
      v16 best, most;
      i16 where;
      for (int l = 0; l < 16; ++l) { best[l] = -INFINITY; most[l] = 0.f; where[l] = 0; }
      const i16 lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
      for (; f + 16 <= end; f += 16) {
        const u16x bits = widen(ap + f) << 16;
        v16 a; std::memcpy(&a, &bits, sizeof a);
        const i16 up_ = a > best;
        best = up_ ? a : best;
        where = up_ ? lane + int(f) : where;
        const v16 m = a < 0 ? -a : a;
        most = m > most ? m : most;
      }
      for (int l = 0; l < 16; ++l) {
        const int64_t r = l % R;
        if (best[l] > mine[r].value || (best[l] == mine[r].value && where[l] < mine[r].at))
          mine[r] = Best{best[l], where[l]};
        big[r] = std::max(big[r], double(most[l]));
      }
    }
    for (; f < end; ++f) {
      const int64_t r = f % R;
      const double a = value(f);
      if (a > mine[r].value) mine[r] = Best{a, f};
      big[r] = std::max(big[r], std::fabs(a));
    }
    std::lock_guard<std::mutex> hold(merge);
    for (int64_t r = 0; r < R; ++r) {
      if (mine[r].value > top[r].value || (mine[r].value == top[r].value && mine[r].at < top[r].at))
        top[r] = mine[r];
      size[r] = std::max(size[r], big[r]);
    }
  });
  // A lower bound of each row's largest exact logit; every entry whose upper bound, widened
  // by its bound again (near-ties stay in), reaches it is a candidate. A cheap float pass
  // first, with every bound replaced by the largest (so it keeps a superset).
  std::vector<double> best_low(R, inf);
  std::vector<float> floor(R, INFINITY);
  std::vector<char> usable(R, 0);
  for (int64_t r = 0; r < R; ++r) {
    if (!std::isfinite(cx[r]) || !std::isfinite(cs[r]) || !std::isfinite(top[r].value) ||
        !std::isfinite(size[r]))
      continue;  // left to the caller (-1)
    usable[r] = 1;
    best_low[r] = top[r].value - slack(top[r].at / R, r, top[r].value);
    const double widest = 2.0 * (e1_max * cx[r] + e2_max * cs[r] + rounding * size[r] + 1e-30);
    const double lowest = best_low[r] - widest;
    floor[r] = std::nextafter(float(lowest - 1e-6 * std::fabs(lowest)), -INFINITY);
  }
  v16 floors;
  for (int l = 0; l < 16; ++l) floors[l] = floor[l % R];
  // Pass 2: candidates computed again exactly; per row the best (first among equals).
  std::vector<Best> exact(R, Best{-inf, -1});
  at::parallel_for(0, (N + 15) / 16, grain / 16, [&](int64_t c0, int64_t c1) {
    std::vector<Best> mine(R, Best{-inf, -1});
    auto consider = [&](int64_t f) {
      const int64_t i = f / R, r = f % R;
      const double a = value(f);
      if (!usable[r] || a < floor[r] || a + 2.0 * slack(i, r, a) < best_low[r]) return;
      const uint16_t* hi = h + at.hi(i);
      const uint16_t* lo = h + at.lo(i);
      double s = 0.0;
      for (int64_t k = 0; k < K; ++k) s += double(xp[r * K + k]) * double(weight(hi, lo, k));
      if (s > mine[r].value) mine[r] = Best{s, i};  // in order of i: the first among equals
    };
    int64_t f = c0 * 16;
    const int64_t end = std::min(N, c1 * 16);
    if (lanes) {
      for (; f + 16 <= end; f += 16) {
        const u16x bits = widen(ap + f) << 16;
        v16 a; std::memcpy(&a, &bits, sizeof a);
        const i16 pass = a >= floors;
        uint64_t words[8];
        std::memcpy(words, &pass, sizeof words);
        if ((words[0] | words[1] | words[2] | words[3] | words[4] | words[5] | words[6] | words[7]) != 0)
          for (int l = 0; l < 16; ++l)
            if (pass[l]) consider(f + l);
      }
    }
    for (; f < end; ++f) consider(f);
    std::lock_guard<std::mutex> hold(merge);
    for (int64_t r = 0; r < R; ++r)
      if (mine[r].value > exact[r].value || (mine[r].value == exact[r].value && mine[r].at >= 0 &&
                                             (exact[r].at < 0 || mine[r].at < exact[r].at)))
        exact[r] = mine[r];
  });
  int64_t* out = chosen.data_ptr<int64_t>();
  for (int64_t r = 0; r < R; ++r) out[r] = usable[r] ? exact[r].at : -1;
  return chosen;
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(fact_harness, m) {
  m.def("split_weight(Tensor(a!) weight, int block) -> Tensor");
  m.def("unsplit_weight(Tensor(a!) weight, int block) -> ()");
  m.def("split_rows(Tensor weight, Tensor ids, int block) -> Tensor");
  m.def("split_linear(Tensor x, Tensor weight, int block) -> Tensor");
  m.def("split_pick(Tensor x, Tensor xs, Tensor weight, int block, Tensor norms, Tensor approx) -> Tensor");
}

TORCH_LIBRARY_IMPL(fact_harness, CPU, m) {
  m.impl("split_weight", &split_weight);
  m.impl("unsplit_weight", &unsplit_weight);
  m.impl("split_rows", &split_rows);
  m.impl("split_linear", &split_linear);
  m.impl("split_pick", &split_pick);
}
