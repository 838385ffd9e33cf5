// The algorithms, in the order the planner asks them: the first that computes a problem plans it.
#ifndef COLCONV_SRC_ALGORITHMS_REGISTRY_H_
#define COLCONV_SRC_ALGORITHMS_REGISTRY_H_

#include <vector>

#include "src/algorithms/algorithm.h"

namespace colconv {
namespace internal {

const std::vector<const Algorithm*>& Algorithms();

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_ALGORITHMS_REGISTRY_H_
