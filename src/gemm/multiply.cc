// Turns a product of views into one row-major SGEMM call of the backend.
#include <stdexcept>

#include "src/gemm/gemm.h"
#include "src/str_cat.h"

namespace colconv {
namespace gemm {

void Backend::Multiply(const ConstMatrix& a, const ConstMatrix& b, float beta, const Matrix& c) const {
  if (a.rows != c.rows || b.cols != c.cols || a.cols != b.rows) {
    throw std::logic_error(StrCat("gemm: (", a.rows, " x ", a.cols, ") * (", b.rows, " x ", b.cols, ") into (", c.rows,
                                  " x ", c.cols, ")"));
  }
  // A transposed result is computed as its transpose, c^T = b^T * a^T, whose storage is row-major.
  if (c.transposed) return Multiply(b.Transpose(), a.Transpose(), beta, c.Transpose());
  Sgemm(a.transposed, b.transposed, c.rows, c.cols, a.cols, a.data, a.ld, b.data, b.ld, beta, c.data, c.ld);
}

}  // namespace gemm
}  // namespace colconv
