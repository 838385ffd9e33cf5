// The planner: asks the registered algorithms in order, lets the first that computes the problem plan it, and
// checks what its workspace asks for.
#include "src/plan.h"

#include "src/algorithms/epilogue.h"
#include "src/algorithms/pixel_matrix.h"
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

constexpr const char* kSavedResult = "saved_result";

// Calls f(block, bias) over the whole result of a run, as Epilogue blocks: each image's pixels x channels, or the
// filter gradient as one row.
template <typename F>
void ForEachResultBlock(const Plan& plan, const Operands& io, F&& f) {
  const Conv2dGeometry& g = plan.geometry;
  const int64_t in_pixels = g.height.input * g.width.input, out_pixels = g.height.output * g.width.output;
  switch (plan.direction) {
    case Direction::kForward:
      for (int64_t n = 0; n < g.batch; ++n) {
        f(PixelMatrix(g.data_format, io.dst + n * out_pixels * g.out_channels, out_pixels, g.out_channels,
                      Range{0, out_pixels}, 0, g.out_channels), io.bias);
      }
      return;
    case Direction::kBackpropInput:
      for (int64_t n = 0; n < g.batch; ++n) {
        f(PixelMatrix(g.data_format, io.diff_src + n * in_pixels * g.in_channels, in_pixels, g.in_channels,
                      Range{0, in_pixels}, 0, g.in_channels), nullptr);
      }
      return;
    case Direction::kBackpropFilter: {
      const int64_t floats = NumElements(g.weights_shape());
      return f(gemm::RowMajor(io.diff_weights, 1, floats, floats), nullptr);
    }
  }
}

// The post-ops of an algorithm that does not fuse them, over the whole result: what it held is saved before the
// run (accumulate mode), and added with the bias and the activation after it. A gradient is 1/P of its run's work;
// forward and backprop-input pass here only for the reference and empty algorithms.
void RunWithPostOps(const Plan& plan, const RunContext& ctx, const Operands& io) {
  const Epilogue epilogue(plan.post_ops);
  float* saved = epilogue.accumulate() ? ctx.workspace.Get<float>(kSavedResult) : nullptr;
  int64_t offset = 0;
  if (saved != nullptr) {
    ForEachResultBlock(plan, io, [&](const gemm::Matrix& block, const float*) {
      epilogue.Save(block, saved + offset);
      offset += block.rows * block.cols;
    });
  }
  plan.executable->Run(ctx, io);
  offset = 0;
  ForEachResultBlock(plan, io, [&](const gemm::Matrix& block, const float* bias) {
    epilogue.Apply(block, bias, saved == nullptr ? nullptr : saved + offset);
    offset += block.rows * block.cols;
  });
}

int64_t ResultFloats(const Plan& plan) {
  const std::array<Shape4, 3> shapes = OperandShapes(plan.geometry, plan.direction);
  return NumElements(shapes[2]);
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
                bool prepacked_weights, std::shared_ptr<const Plan>* out) {
  const std::string post_ops_error = PostOpsError(direction, options.post_ops);
  if (!post_ops_error.empty()) return Status(StatusCode::kInvalidArgument, post_ops_error);
  auto plan = std::make_shared<Plan>();
  plan->direction = direction;
  plan->geometry = geometry;
  plan->workspace_budget = options.workspace_budget;
  plan->post_ops = options.post_ops;
  plan->prepacked_weights = prepacked_weights && direction != Direction::kBackpropFilter;
  Status s = gemm::ChooseBackend(options.gemm, &plan->gemm);
  if (!s.ok()) return s;
  plan->kernels = kernels::ChooseKernels();
  const Problem problem{direction,         plan->geometry,  *plan->gemm, plan->kernels, plan->workspace_budget,
                        plan->post_ops, plan->prepacked_weights};
  s = ChooseAlgorithm(problem, options.algorithm, plan.get());
  if (!s.ok()) return s;
  plan->executable = plan->algorithm->Plan(problem, &plan->workspace);
  if (plan->post_ops.accumulate && !plan->executable->fuses_post_ops()) {
    plan->workspace.Book(kSavedResult, static_cast<size_t>(ResultFloats(*plan)) * sizeof(float), 64,
                         "bytes of the result's values before the run (accumulate mode)");
  }
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
  const PostOps& ops = plan.post_ops;
  const bool post_ops = ops.accumulate || ops.activation != Activation::kNone || io.bias != nullptr;
  if (post_ops && !plan.executable->fuses_post_ops()) return RunWithPostOps(plan, ctx, io);
  plan.executable->Run(ctx, io);
}

}  // namespace internal
}  // namespace colconv
