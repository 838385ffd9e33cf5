#include "src/cpu_info.h"

#include <unistd.h>

#include <fstream>
#include <string>

#include "hwy/targets.h"

namespace colconv {

size_t L2CacheBytes() {
  static const size_t bytes = [] {
    const long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
    if (l2 > 0) return static_cast<size_t>(l2);
    // Where glibc does not know (ARM), sysfs usually does: index2 is the unified L2.
    std::ifstream in("/sys/devices/system/cpu/cpu0/cache/index2/size");
    std::string text;
    if (in >> text && !text.empty()) {
      size_t value = std::stoul(text);
      if (text.back() == 'K') value <<= 10;
      if (text.back() == 'M') value <<= 20;
      if (value > 0) return value;
    }
    return size_t{1} << 20;
  }();
  return bytes;
}

size_t PhysicalMemoryBytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page) : size_t{1} << 32;
}

X86Level CpuX86Level() {
#if HWY_ARCH_X86
  const int64_t targets = hwy::SupportedTargets();
  if (targets & (HWY_AVX3 | HWY_AVX3_DL)) return X86Level::kAvx512;
  if (targets & HWY_AVX2) return X86Level::kAvx2;
  return X86Level::kSse;
#else
  return X86Level::kOther;
#endif
}

const char* X86LevelName(X86Level level) {
  switch (level) {
    case X86Level::kAvx512:
      return "AVX-512";
    case X86Level::kAvx2:
      return "AVX2";
    case X86Level::kSse:
      return "SSE";
    case X86Level::kOther:
      break;
  }
  return "non-x86";
}

}  // namespace colconv
