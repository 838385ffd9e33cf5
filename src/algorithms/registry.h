// The algorithms, in the order the planner asks them: the first that computes a problem plans it.
#ifndef COLCONV_SRC_ALGORITHMS_REGISTRY_H_
#define COLCONV_SRC_ALGORITHMS_REGISTRY_H_

#include <string>
#include <vector>

#include "src/algorithms/algorithm.h"

namespace colconv {
namespace internal {

const std::vector<const Algorithm*>& Algorithms();
// The algorithm named `name`, or nullptr.
const Algorithm* FindAlgorithm(const std::string& name);
// "empty, reference, ...": every algorithm's name, in order.
std::string AlgorithmNames();

// The algorithm a plan must run, when one is forced: `requested` if not empty, else the process's choice
// (SetForcedAlgorithm), else the COLCONV_ALGORITHM environment variable; "" lets the planner choose. *source says
// which ("PlanOptions::algorithm", ...) for messages. An unknown name is kInvalidArgument.
Status ForcedAlgorithm(const std::string& requested, const Algorithm** algorithm, std::string* source);
// The process's choice; "" returns to COLCONV_ALGORITHM, or the planner's choice.
Status SetForcedAlgorithm(const std::string& name);

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_ALGORITHMS_REGISTRY_H_
