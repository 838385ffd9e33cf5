// Which GEMM backend plans use.
#include "src/gemm/gemm.h"
#include "src/gemm/openblas.h"

namespace colconv {
namespace gemm {

const Backend& DefaultBackend() { return OpenBlas(); }

}  // namespace gemm
}  // namespace colconv
