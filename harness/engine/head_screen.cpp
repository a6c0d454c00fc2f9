// Exact greedy tokens from an int8 screen of a float32 output head (vocab x hidden).
//
// screen_weight: each head row w_i as s_i·q_i + r_i, q_i int8 (|q| <= 127, s_i = max|w_i|/127),
// with |r_i|_2 and s_i·|q_i|_2 rounded up. screen_rows: each x row as t·(q1 + q2/256) + d, two
// int8 codes (the second holds what the first leaves), with |x|_2 and |d|_2 rounded up. The
// caller multiplies the codes (torch._int_mm: int8 x int8 -> exact int32 sums), which reads a
// quarter of the float32 head's bytes. screen_pick: the approximate logit a_i = s_i·t·(P1 +
// P2/256) equals w_i·x up to |r_i|·|x| + s_i|q_i|·|d| (Cauchy-Schwarz); every logit whose
// upper bound reaches the best lower bound is computed again exactly (float64 sums of the
// float32 weights), and the best of those is the argmax of the exact logits: the token the
// full float32 head gives, up to float32 rounding between near-ties.
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
#include <tuple>
#include <vector>

namespace {

constexpr double LEVELS = 127.0;  // int8 codes in [-127, 127]
constexpr double FINE = 256.0;    // the second x code counts in 1/256 of the first's step
constexpr double UP = 1.0 + 1e-9;  // widens norms past their float64 rounding
const double TINY = std::ldexp(1.0, -50);  // float64 rounding of a residual, per |value|

inline int8_t code(double v) { return int8_t(std::clamp(std::nearbyint(v), -LEVELS, LEVELS)); }

typedef float f16v __attribute__((vector_size(64)));
typedef int32_t n16v __attribute__((vector_size(64)));
typedef int8_t c16v __attribute__((vector_size(16)));

// One head row: its codes, scale and bounds (see screen_weight), sixteen lanes at a time.
// The residual r = w - s·q is rounded once (a fused multiply-add) and its squares summed in
// float32, per lane: both errors are covered by widening the norm by `slack` below; the
// codes' squares are summed exactly in int32.
void screen_row(const float* row, int64_t K, int8_t* q, double& scale, double& e1, double& e2) {
  f16v most{}, poison{};  // poison: NaN in a lane once any of its weights is not finite
  int64_t k = 0;
  for (; k + 16 <= K; k += 16) {
    f16v v;
    std::memcpy(&v, row + k, sizeof v);
    const f16v a = v < 0 ? -v : v;
    most = a > most ? a : most;
    poison += v * 0.f;
  }
  float largest = 0.f, bad = 0.f;
  for (int l = 0; l < 16; ++l) {
    largest = std::max(largest, most[l]);
    bad += poison[l];
  }
  for (int64_t j = k; j < K; ++j) {
    largest = std::max(largest, std::fabs(row[j]));
    bad += row[j] * 0.f;
  }
  if (!std::isfinite(largest) || std::isnan(bad)) {
    std::fill(q, q + K, int8_t(0));
    scale = std::numeric_limits<double>::quiet_NaN();
    e1 = e2 = std::numeric_limits<double>::infinity();
    return;
  }
  const float s = largest / float(LEVELS);  // the scale, exactly this float
  const float inverse = s > 0.f ? 1.f / s : 0.f;
  const float magic = 12582912.f;  // 1.5 * 2^23: (y + magic) - magic rounds y to the nearest
  const float edge = float(LEVELS);
  f16v rr{};
  n16v qq{};
  for (k = 0; k + 16 <= K; k += 16) {
    f16v v;
    std::memcpy(&v, row + k, sizeof v);
    f16v c = (v * inverse + magic) - magic;
    c = c > edge ? edge : c;
    c = c < -edge ? -edge : c;
    const n16v n = __builtin_convertvector(c, n16v);
    const c16v codes = __builtin_convertvector(n, c16v);
    std::memcpy(q + k, &codes, sizeof codes);
    f16v r;
    for (int l = 0; l < 16; ++l) r[l] = std::fma(-s, c[l], v[l]);
    rr += r * r;
    qq += n * n;
  }
  double tail_rr = 0.0;
  int64_t tail_qq = 0;
  for (; k < K; ++k) {
    const float c = std::clamp(std::nearbyint(row[k] * inverse), -edge, edge);
    q[k] = int8_t(c);
    const double r = double(row[k]) - double(s) * c;
    tail_rr += r * r;
    tail_qq += int64_t(c) * int64_t(c);
  }
  double sum_rr = tail_rr;
  int64_t sum_qq = tail_qq;
  for (int l = 0; l < 16; ++l) {
    sum_rr += rr[l];
    sum_qq += qq[l];
  }
  // each lane: K/16 float32 additions of squares of values rounded once
  const double u = std::ldexp(1.0, -24);
  const double slack = 1.0 + 2.0 * u + double(K / 16 + 2) * u * 1.01;
  scale = s;
  e2 = double(s) * std::sqrt(double(sum_qq)) * UP;
  e1 = std::sqrt(sum_rr * slack) * UP + TINY * (e2 + std::sqrt(sum_rr * slack));
}

// (codes int8 [V, K], info float64 [3, V]: s_i, bound of |r_i|, bound of s_i|q_i|). A row with
// a non-finite weight gets s = NaN and infinite bounds (the caller keeps such a head whole).
std::tuple<at::Tensor, at::Tensor> screen_weight(const at::Tensor& w) {
  TORCH_CHECK(w.dim() == 2 && w.scalar_type() == at::kFloat && w.device().is_cpu(),
              "screen_weight: a float32 CPU matrix");
  auto wc = w.contiguous();
  const int64_t V = wc.size(0), K = wc.size(1);
  TORCH_CHECK(K * int64_t(LEVELS * LEVELS) < (int64_t(1) << 31) / 2,
              "screen_weight: rows too long for int32 sums");
  auto codes = at::empty({V, K}, wc.options().dtype(at::kChar));
  auto info = at::empty({3, V}, wc.options().dtype(at::kDouble));
  const float* wp = wc.data_ptr<float>();
  int8_t* cp = codes.data_ptr<int8_t>();
  double* scale = info.data_ptr<double>();
  at::parallel_for(0, V, 256, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i)
      screen_row(wp + i * K, K, cp + i * K, scale[i], scale[V + i], scale[2 * V + i]);
  });
  return {codes, info};
}

// (codes int8 [K, 2R]: column r holds q1 of x row r, column R + r its q2; info float64 [3, R]:
// t, bound of |x|, bound of |d|). A row with a non-finite value gets t = NaN.
std::tuple<at::Tensor, at::Tensor> screen_rows(const at::Tensor& x) {
  TORCH_CHECK(x.dim() == 2 && x.scalar_type() == at::kFloat && x.device().is_cpu(),
              "screen_rows: float32 CPU rows");
  auto xc = x.contiguous();
  const int64_t R = xc.size(0), K = xc.size(1);
  auto codes = at::zeros({K, 2 * R}, xc.options().dtype(at::kChar));
  auto info = at::empty({3, R}, xc.options().dtype(at::kDouble));
  const float* xp = xc.data_ptr<float>();
  int8_t* cp = codes.data_ptr<int8_t>();
  double* step = info.data_ptr<double>();
  double* cx = step + R;
  double* cs = cx + R;
  for (int64_t r = 0; r < R; ++r) {
    const float* row = xp + r * K;
    double most = 0.0;
    bool finite = true;
    for (int64_t k = 0; k < K; ++k) {
      finite = finite && std::isfinite(row[k]);
      most = std::max(most, std::fabs(double(row[k])));
    }
    if (!finite) {
      step[r] = std::numeric_limits<double>::quiet_NaN();
      cx[r] = cs[r] = std::numeric_limits<double>::infinity();
      continue;
    }
    const double t = most / LEVELS;
    double xx = 0.0, dd = 0.0;
    for (int64_t k = 0; k < K; ++k) {
      const double v = row[k];
      int8_t q1 = 0, q2 = 0;
      if (t > 0.0) {
        q1 = code(v / t);
        q2 = code((v - t * q1) * FINE / t);
      }
      cp[k * 2 * R + r] = q1;
      cp[k * 2 * R + R + r] = q2;
      const double d = v - t * (q1 + q2 / FINE);
      xx += v * v;
      dd += d * d;
    }
    step[r] = t;
    cx[r] = std::sqrt(xx) * UP;
    cs[r] = std::sqrt(dd) * UP + TINY * std::sqrt(xx);
  }
  return {codes, info};
}

// The scan of screen_pick over vocabulary rows [i0, i1): in units of b = a / t, every entry
// within margin[r] of the largest b so far is kept (RR: R known when compiled, else 0).
template <int RR>
void scan(const int32_t* P, const double* scale, const double* margin, int64_t i0, int64_t i1,
          int64_t R_, double* run, std::vector<std::vector<int64_t>>& kept) {
  const int64_t R = RR > 0 ? RR : R_;
  const double fine = 1.0 / FINE;
  double floor[RR > 0 ? RR : 64];
  std::vector<double> spill(RR > 0 || R_ <= 64 ? 0 : R_);
  double* low = RR > 0 || R_ <= 64 ? floor : spill.data();
  for (int64_t r = 0; r < R; ++r) low[r] = run[r] - margin[r];
  for (int64_t i = i0; i < i1; ++i) {
    const int32_t* p = P + i * 2 * R;
    const double s = scale[i];
    bool any = false;
    for (int64_t r = 0; r < R; ++r) any |= s * (double(p[r]) + double(p[R + r]) * fine) >= low[r];
    if (!any) continue;
    for (int64_t r = 0; r < R; ++r) {
      const double b = s * (double(p[r]) + double(p[R + r]) * fine);
      if (b > run[r]) {
        run[r] = b;
        low[r] = b - margin[r];
      }
      if (b >= low[r]) kept[r].push_back(i);
    }
  }
}

// Each row's argmax of x·wᵀ (see the top of this file) from products = codes(w)·codes(x)
// ([V, 2R] int32). -1 for a row whose x is not finite: its caller computes that row's logits.
at::Tensor screen_pick(const at::Tensor& x, const at::Tensor& w, const at::Tensor& winfo,
                       const at::Tensor& maxima, const at::Tensor& xinfo,
                       const at::Tensor& products) {
  auto xc = x.contiguous();
  auto wc = w.contiguous();
  const int64_t R = xc.size(0), K = xc.size(1), V = wc.size(0);
  TORCH_CHECK(xc.scalar_type() == at::kFloat && wc.scalar_type() == at::kFloat &&
                  wc.dim() == 2 && wc.size(1) == K && xc.device().is_cpu() && wc.device().is_cpu(),
              "screen_pick: float32 CPU x and head of the same width");
  TORCH_CHECK(winfo.sizes() == at::IntArrayRef({3, V}) && winfo.scalar_type() == at::kDouble &&
                  winfo.is_contiguous(),
              "screen_pick: screen_weight's info");
  TORCH_CHECK(maxima.sizes() == at::IntArrayRef({3}) && maxima.scalar_type() == at::kDouble &&
                  maxima.is_contiguous(),
              "screen_pick: the largest of each of screen_weight's infos");
  TORCH_CHECK(xinfo.sizes() == at::IntArrayRef({3, R}) && xinfo.scalar_type() == at::kDouble &&
                  xinfo.is_contiguous(),
              "screen_pick: screen_rows's info");
  TORCH_CHECK(products.sizes() == at::IntArrayRef({V, 2 * R}) &&
                  products.scalar_type() == at::kInt && products.device().is_cpu(),
              "screen_pick: products must be codes(w)·codes(x), V x 2R int32");
  auto chosen = at::full({R}, -1, xc.options().dtype(at::kLong));
  if (R == 0 || V == 0) return chosen;
  auto pc = products.contiguous();
  const int32_t* P = pc.data_ptr<int32_t>();
  const float* xp = xc.data_ptr<float>();
  const float* wp = wc.data_ptr<float>();
  const double* scale = winfo.data_ptr<double>();
  const double* e1 = scale + V;
  const double* e2 = e1 + V;
  const double* step = xinfo.data_ptr<double>();
  const double* cx = step + R;
  const double* cs = cx + R;
  const double* most = maxima.data_ptr<double>();
  const double s_max = most[0], e1_max = most[1], e2_max = most[2];
  const double inf = std::numeric_limits<double>::infinity();
  const double relative = 1e-14;  // float64 rounding of a logit, per |logit|
  // Entries are compared in units of b = a / t. Any candidate's b lies within `margin` of the
  // largest b (its bound plus the top's); the scan keeps every entry within it of the
  // largest so far: a superset.
  std::vector<double> margin(R, -inf);  // -inf: nothing kept (a row left to the caller)
  std::vector<char> usable(R, 0);
  int64_t* out = chosen.data_ptr<int64_t>();
  for (int64_t r = 0; r < R; ++r) {
    if (!std::isfinite(step[r]) || !std::isfinite(cx[r]) || !std::isfinite(cs[r])) continue;
    if (step[r] == 0.0) {  // x is zero: every logit is exactly 0, the first wins
      out[r] = 0;
      continue;
    }
    usable[r] = 1;
    const double b_max = s_max * K * LEVELS * (LEVELS + 1.0);
    margin[r] = 2.0 * (e1_max * cx[r] + e2_max * cs[r]) / step[r] * UP + 4.0 * relative * b_max;
  }
  std::vector<std::vector<int64_t>> kept(R);
  std::mutex merge;
  at::parallel_for(0, V, 4096, [&](int64_t i0, int64_t i1) {
    std::vector<std::vector<int64_t>> mine(R);
    std::vector<double> run(R, -inf);
    if (R == 8) {
      scan<8>(P, scale, margin.data(), i0, i1, 8, run.data(), mine);
    } else if (R == 4) {
      scan<4>(P, scale, margin.data(), i0, i1, 4, run.data(), mine);
    } else {
      scan<0>(P, scale, margin.data(), i0, i1, R, run.data(), mine);
    }
    std::lock_guard<std::mutex> hold(merge);
    for (int64_t r = 0; r < R; ++r) kept[r].insert(kept[r].end(), mine[r].begin(), mine[r].end());
  });
  const double fine = 1.0 / FINE;
  for (int64_t r = 0; r < R; ++r) {
    if (!usable[r]) continue;
    const double t = step[r];
    auto logit = [&](int64_t i) {  // (approximate logit, its bound)
      const int32_t* p = P + i * 2 * R;
      const double a = t * (scale[i] * (double(p[r]) + double(p[R + r]) * fine));
      return std::make_pair(a, e1[i] * cx[r] + e2[i] * cs[r] + relative * std::fabs(a));
    };
    std::vector<int64_t>& list = kept[r];
    std::sort(list.begin(), list.end());
    double best_low = -inf;
    for (int64_t i : list) {
      const auto [a, slack] = logit(i);
      best_low = std::max(best_low, a - slack);
    }
    double best = -inf;
    int64_t at = -1;
    const float* xr = xp + r * K;
    for (int64_t i : list) {  // in order of i: the first among equals wins
      const auto [a, slack] = logit(i);
      if (a + slack < best_low) continue;
      const float* wr = wp + i * K;
      double sum = 0.0;
      for (int64_t k = 0; k < K; ++k) sum += double(xr[k]) * double(wr[k]);
      if (sum > best || at < 0) {
        best = sum;
        at = i;
      }
    }
    out[r] = at;
  }
  return chosen;
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(fact_harness, m) {
  m.def("screen_weight(Tensor weight) -> (Tensor, Tensor)");
  m.def("screen_rows(Tensor x) -> (Tensor, Tensor)");
  m.def("screen_pick(Tensor x, Tensor weight, Tensor weight_info, Tensor maxima, Tensor x_info, "
        "Tensor products) -> Tensor");
}

TORCH_LIBRARY_IMPL(fact_harness, CPU, m) {
  m.impl("screen_weight", &screen_weight);
  m.impl("screen_rows", &screen_rows);
  m.impl("screen_pick", &screen_pick);
}
