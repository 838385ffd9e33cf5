#include "tools/kernel_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <vector>

#include "hwy/aligned_allocator.h"
#include "hwy/targets.h"
#include "src/algorithms/im2col_gemm.h"
#include "src/kernels/kernels.h"
#include "src/plan.h"
#include "src/shape.h"
#include "src/str_cat.h"
#include "tools/bench_suite.h"

namespace colconv {
namespace cli {
namespace {

using Clock = std::chrono::steady_clock;

// The fastest of repeated calls (after warm-up), in ns: on a shared machine the minimum is the least noisy.
template <typename F>
double FastestNs(F&& f) {
  f();
  double best = 1e30;
  const auto stop = Clock::now() + std::chrono::milliseconds(40);
  for (int rep = 0; rep < 2000 && (rep < 5 || Clock::now() < stop); ++rep) {
    const auto t0 = Clock::now();
    f();
    best = std::min(best, std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
  }
  return best;
}

struct BenchTile {
  std::string shape;
  bool nhwc;
  kernels::ColGeometry g;
  kernels::ColTile t;
  int64_t image_floats;
  int64_t col_floats;
};

// The column tile the forward plan of this layer uses around the image's centre (first group, first K slice):
// what the drivers hand the kernels for the bulk of the image, away from the padded border. Layers that need no
// im2col (pointwise) give none.
bool TileOf(const Layer& l, bool nhwc, BenchTile* b) {
  const DataFormat data = nhwc ? DataFormat::kNHWC : DataFormat::kNCHW;
  const FilterFormat filter = nhwc ? FilterFormat::kHWIO : FilterFormat::kOIHW;
  Conv2dGeometry geometry;
  std::shared_ptr<const internal::Plan> plan;
  if (!ResolveForward(l.Desc(data, filter), l.SrcShape(data), l.WeightsShape(filter), &geometry).ok() ||
      !internal::MakePlan(Direction::kForward, geometry, PlanOptions(), false, &plan).ok() ||
      std::string(plan->algorithm->name()) != "im2col_gemm") {
    return false;
  }
  const internal::Im2colTiling tiling(Direction::kForward, plan->geometry, *plan->gemm, plan->kernels);
  b->shape = l.name;
  b->nhwc = nhwc;
  b->g = tiling.cols;
  const int64_t centre_tile = tiling.pixels / 2 / tiling.tile_pixels;
  const internal::Range px = tiling.PixelTile(centre_tile);
  b->t = tiling.Tile(0, px, {0, tiling.tile_k});
  b->image_floats = l.ih * l.iw * l.ic;
  b->col_floats = px.size() * tiling.tile_k;
  return true;
}

}  // namespace

int KernelBench(const std::string& only_target, const Args& args) {
  std::vector<std::string> suites;
  if (args.Has("suite")) {
    suites.push_back(args.Get("suite"));
  } else {
    suites = {COLCONV_SOURCE_DIR "/bench/resnet50", COLCONV_SOURCE_DIR "/bench/mixed"};
  }
  std::vector<Layer> layers;
  for (const std::string& path : suites) {
    std::vector<Layer> loaded;
    std::string error;
    if (!LoadSuite(path, 1, &loaded, &error)) {
      std::fprintf(stderr, "colconv kernelcheck --bench: %s\n", error.c_str());
      return 2;
    }
    const bool resnet = path.find("resnet") != std::string::npos && !args.Has("suite");
    for (const Layer& l : loaded) {
      if (!resnet || l.kh == 3 || l.kh == 7) layers.push_back(l);  // ResNet-50's 1x1 layers need no im2col
    }
  }
  std::vector<BenchTile> tiles;
  for (const Layer& l : layers) {
    for (bool nhwc : {true, false}) {
      BenchTile b;
      if (TileOf(l, nhwc, &b)) tiles.push_back(b);
    }
  }
  size_t biggest = 0;
  for (const BenchTile& b : tiles) biggest = std::max({biggest, size_t(b.image_floats), size_t(b.col_floats)});
  auto image = hwy::AllocateAligned<float>(biggest);
  auto col = hwy::AllocateAligned<float>(biggest);
  auto copy_dst = hwy::AllocateAligned<float>(biggest);
  for (size_t i = 0; i < biggest; ++i) image[i] = col[i] = 0.001f * static_cast<float>(i % 977);

  // Every target in one process: ns[kernel][tile index][target name].
  std::map<std::string, std::vector<std::map<std::string, double>>> results;
  // memcpy of each tile's bytes, timed once per target pass and credited with its best: a single 40 ms window can
  // land on a neighbour's burst and would skew every ratio of that tile.
  std::vector<double> memcpy_ns(tiles.size(), 1e30);
  std::vector<std::string> targets;
  for (int64_t target : kernels::RunnableTargets()) {
    const std::string name = kernels::TargetName(target);
    if (!only_target.empty() && name != only_target && name != "SCALAR" && name != "EMU128") continue;
    targets.push_back(name);
    hwy::SetSupportedTargetsForTest(target);
    const kernels::KernelTable k = kernels::ChooseKernels();
    for (size_t i = 0; i < tiles.size(); ++i) {
      const BenchTile& b = tiles[i];
      const int64_t ld = b.nhwc ? b.t.k1 - b.t.k0 : b.t.p1 - b.t.p0;
      const size_t bytes = size_t(b.col_floats) * sizeof(float);
      memcpy_ns[i] = std::min(memcpy_ns[i], FastestNs([&] { std::memcpy(copy_dst.get(), col.get(), bytes); }));
      const kernels::Im2colFn im2col = b.nhwc ? k.im2col_nhwc : k.im2col_nchw;
      const kernels::Col2imFn col2im = b.nhwc ? k.col2im_nhwc : k.col2im_nchw;
      const std::string layout = b.nhwc ? "_nhwc" : "_nchw";
      results["im2col" + layout].resize(tiles.size());
      results["col2im" + layout].resize(tiles.size());
      results["im2col" + layout][i][name] = FastestNs([&] { im2col(b.g, b.t, image.get(), col.get(), ld); });
      results["col2im" + layout][i][name] = FastestNs([&] { col2im(b.g, b.t, col.get(), ld, image.get()); });
    }
  }
  hwy::SetSupportedTargetsForTest(0);

  std::printf("kernel,shape,target,tile,ns,GB/s,vs_scalar,vs_memcpy\n");
  const std::string scalar = std::find(targets.begin(), targets.end(), "SCALAR") != targets.end() ? "SCALAR" : "EMU128";
  for (const auto& kv : results) {
    for (size_t i = 0; i < tiles.size(); ++i) {
      const BenchTile& b = tiles[i];
      if (kv.first.find(b.nhwc ? "nhwc" : "nchw") == std::string::npos) continue;
      for (const std::string& name : targets) {
        const auto& per = kv.second[i];
        const double ns = per.at(name);
        const double gbs = double(b.col_floats) * sizeof(float) / ns;
        const double vs_scalar = per.count(scalar) ? per.at(scalar) / ns : 0.0;
        std::printf("%s,%s,%s,%lldx%lld,%.0f,%.1f,%.2f,%.2f\n", kv.first.c_str(), b.shape.c_str(), name.c_str(),
                    static_cast<long long>(b.t.p1 - b.t.p0), static_cast<long long>(b.t.k1 - b.t.k0), ns, gbs, vs_scalar,
                    memcpy_ns[i] / ns);
      }
    }
  }
  return 0;
}

}  // namespace cli
}  // namespace colconv
