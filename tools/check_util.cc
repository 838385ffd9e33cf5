#include "tools/check_util.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>

#include "src/str_cat.h"
#include "tools/guarded_pages.h"

namespace colconv {
namespace check {
namespace {

constexpr uint32_t kSentinelBits = 0x7fc00badu;
char g_running[1024];

extern "C" void ReportFault(int signal_number) {
  static const char kPrefix[] = "\nkernelcheck: fault while running ";
  if (write(STDERR_FILENO, kPrefix, sizeof kPrefix - 1) < 0 ||
      write(STDERR_FILENO, g_running, strnlen(g_running, sizeof g_running)) < 0 ||
      write(STDERR_FILENO, "\n", 1) < 0) {
  }
  signal(signal_number, SIG_DFL);
  raise(signal_number);
}

}  // namespace

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

std::string Exact(float f) {
  char text[64];
  std::snprintf(text, sizeof text, "%.9g (0x%08x)", static_cast<double>(f), Bits(f));
  return text;
}

float Sentinel() {
  float f;
  std::memcpy(&f, &kSentinelBits, sizeof f);
  return f;
}

void FillRandom(float* data, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < n; ++i) data[i] = static_cast<float>(static_cast<double>(rng() >> 11) * 0x1p-52 - 1.0);
}

int64_t FirstDifferentBits(const float* got, const float* want, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (Bits(got[i]) != Bits(want[i])) return static_cast<int64_t>(i);
  }
  return -1;
}

void SetRunning(const std::string& what) { std::snprintf(g_running, sizeof g_running, "%s", what.c_str()); }

struct FaultReport::Saved {
  struct sigaction segv, bus;
};

FaultReport::FaultReport() : saved_(new Saved) {
  struct sigaction report = {};
  report.sa_handler = ReportFault;
  sigaction(SIGSEGV, &report, &saved_->segv);
  sigaction(SIGBUS, &report, &saved_->bus);
}

FaultReport::~FaultReport() {
  sigaction(SIGSEGV, &saved_->segv, nullptr);
  sigaction(SIGBUS, &saved_->bus, nullptr);
  delete saved_;
}

void CheckBitExact(const KernelCall& call,
                   const std::function<void(const float*, const float*, float*, float*)>& kernel,
                   const std::function<void(const float*, const float*, float*)>& reference,
                   std::vector<std::string>* failures) {
  const GuardedPages::Side side = call.side == 0 ? GuardedPages::Side::kAfterEnd : GuardedPages::Side::kBeforeStart;
  GuardedPages a(call.in0, side), b(call.in1, side), result(call.out, side), scratch(call.scratch, side);
  FillRandom(a.data(), call.in0, call.seed * 3 + 1);
  FillRandom(b.data(), call.in1, call.seed * 3 + 2);
  a.SetReadOnly(true);
  b.SetReadOnly(true);
  if (call.accumulate) {
    FillRandom(result.data(), call.out, call.seed * 3 + 3);
  } else {
    std::fill(result.data(), result.data() + call.out, Sentinel());
  }
  std::fill(scratch.data(), scratch.data() + call.scratch, Sentinel());
  std::vector<float> want(result.data(), result.data() + call.out);
  reference(a.data(), b.data(), want.data());
  SetRunning(call.what);
  kernel(a.data(), b.data(), result.data(), scratch.data());
  const int64_t at = FirstDifferentBits(result.data(), want.data(), call.out);
  if (at >= 0) {
    failures->push_back(StrCat(call.what, ": element ", at, " = ", Exact(result.data()[at]), ", reference ",
                               Exact(want[static_cast<size_t>(at)])));
  }
}

}  // namespace check
}  // namespace colconv
