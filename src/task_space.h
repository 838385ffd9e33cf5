// The tasks of one op's parallel loop as a mixed-radix space: a plan builds it once from its tiling, and every
// run decodes task numbers with the same object, so the plan's count and the run's digits cannot drift apart.
#ifndef COLCONV_SRC_TASK_SPACE_H_
#define COLCONV_SRC_TASK_SPACE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

namespace colconv {
namespace internal {

class TaskSpace {
 public:
  static constexpr size_t kMaxDims = 4;
  using Digits = std::array<int64_t, kMaxDims>;

  TaskSpace() = default;  // no tasks
  // Radices, most significant first: TaskSpace({a, b, c}) has a * b * c tasks.
  TaskSpace(std::initializer_list<int64_t> radices) {
    for (int64_t r : radices) radix_[dims_++] = r;
  }

  int64_t size() const {
    if (dims_ == 0) return 0;
    int64_t n = 1;
    for (size_t i = 0; i < dims_; ++i) n *= radix_[i];
    return n;
  }
  int64_t radix(size_t dim) const { return radix_[dim]; }

  // The digits of `task`, most significant first: with radices {a, b, c}, task = (d[0] * b + d[1]) * c + d[2].
  Digits Decode(int64_t task) const {
    Digits digit{};
    for (size_t i = dims_; i-- > 0;) {
      digit[i] = task % radix_[i];
      task /= radix_[i];
    }
    return digit;
  }

 private:
  std::array<int64_t, kMaxDims> radix_{};
  size_t dims_ = 0;
};

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_TASK_SPACE_H_
