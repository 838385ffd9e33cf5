// Facts about the CPU that plans and the BLAS core check need.
#ifndef COLCONV_SRC_CPU_INFO_H_
#define COLCONV_SRC_CPU_INFO_H_

#include <cstddef>

namespace colconv {

// The per-core L2 cache in bytes (1 MiB when the system does not say).
size_t L2CacheBytes();

// Physical memory in bytes (what sysconf reports).
size_t PhysicalMemoryBytes();

// The widest x86 vector ISA this CPU runs, as Highway detects it; kOther on other architectures.
enum class X86Level { kOther, kSse, kAvx2, kAvx512 };
X86Level CpuX86Level();
const char* X86LevelName(X86Level level);

}  // namespace colconv

#endif  // COLCONV_SRC_CPU_INFO_H_
