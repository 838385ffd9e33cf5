// The planner: asks the registered algorithms in order, lets the first that computes the problem plan it, and
// checks what its workspace asks for.
#include "src/plan.h"

#include "src/algorithms/registry.h"
#include "src/cpu_info.h"
#include "src/shape.h"
#include "src/str_cat.h"
#include "src/threading.h"

namespace colconv {
namespace internal {
namespace {

Status ResourceExhausted(std::string message) { return Status(StatusCode::kResourceExhausted, std::move(message)); }

// The workspace one worker needs, against the caller's budget and the machine.
Status CheckWorkspace(const Plan& plan) {
  const char* op = OpName(plan.direction);
  const size_t one = plan.WorkspaceBytes(1);
  if (plan.workspace_budget > 0 && one > plan.workspace_budget) {
    return ResourceExhausted(StrCat(op, ": the workspace budget of ", plan.workspace_budget, " bytes is below the ", one,
                                    " bytes this convolution needs: ", plan.workspace.Describe(),
                                    "; raise PlanOptions::workspace_budget"));
  }
  // Never try to allocate what the machine cannot have (a reordered copy of a huge filter, say).
  if (one > PhysicalMemoryBytes() / 2) {
    return ResourceExhausted(StrCat(op, ": the workspace would need ", one, " bytes, more than half of this machine's memory (",
                                    PhysicalMemoryBytes(), " bytes)"));
  }
  return Status();
}

// The first registered algorithm that computes the problem, or the forced one, which must.
Status ChooseAlgorithm(const Problem& problem, const std::string& requested, Plan* plan) {
  const Algorithm* forced = nullptr;
  std::string source;
  Status s = ForcedAlgorithm(requested, &forced, &source);
  if (!s.ok()) return s;
  if (forced != nullptr) {
    const std::string why = forced->Declines(problem);
    if (!why.empty()) {
      return Status(StatusCode::kInvalidArgument,
                    StrCat(OpName(problem.direction), ": the algorithm ", forced->name(), " (forced by ", source,
                           ") does not compute this problem: ", why));
    }
    plan->algorithm = forced;
    plan->declined = StrCat("forced by ", source);
    return s;
  }
  for (const Algorithm* algorithm : Algorithms()) {
    const std::string why = algorithm->Declines(problem);
    if (why.empty()) {
      plan->algorithm = algorithm;
      return s;
    }
    plan->declined += StrCat(plan->declined.empty() ? "" : "; ", algorithm->name(), ": ", why);
  }
  return Status(StatusCode::kUnimplemented,
                StrCat(OpName(problem.direction), ": no algorithm computes this problem (", plan->declined, ")"));
}

}  // namespace

int Plan::Workers(int threads) const {
  return PlanWorkers(executable->tasks().size(), workspace, workspace_budget, threads);
}

std::string Plan::Describe(int workers) const {
  const std::string tiles = executable->Describe();
  return StrCat(algorithm->name(), " [", kernels.target_name, "] ", DataFormatName(geometry.data_format), "/",
                FilterFormatName(geometry.filter_format), ": ", executable->tasks().size(), " tasks",
                tiles.empty() ? "" : " ", tiles, ", ", workers, workers == 1 ? " worker" : " workers", ", workspace ",
                WorkspaceBytes(workers), " bytes");
}

Status MakePlan(Direction direction, const Conv2dGeometry& geometry, const PlanOptions& options,
                std::shared_ptr<const Plan>* out) {
  auto plan = std::make_shared<Plan>();
  plan->direction = direction;
  plan->geometry = geometry;
  plan->workspace_budget = options.workspace_budget;
  Status s = gemm::ChooseBackend(options.gemm, &plan->gemm);
  if (!s.ok()) return s;
  plan->kernels = kernels::ChooseKernels();
  const Problem problem{direction, plan->geometry, *plan->gemm, plan->kernels, plan->workspace_budget};
  s = ChooseAlgorithm(problem, options.algorithm, plan.get());
  if (!s.ok()) return s;
  plan->executable = plan->algorithm->Plan(problem, &plan->workspace);
  s = CheckWorkspace(*plan);
  if (!s.ok()) return s;
  plan->gemm->AdviseOnce();
  *out = std::move(plan);
  return Status();
}

void RunPlan(const Plan& plan, int workers, const Operands& io, void* memory) {
  const Workspace workspace(plan.workspace, memory);
  const gemm::OpScope gemm_threads(*plan.gemm);
  const RunContext ctx{plan.geometry, plan.kernels, *plan.gemm, workspace, RunWorkers(workers)};
  plan.executable->Run(ctx, io);
}

}  // namespace internal
}  // namespace colconv
