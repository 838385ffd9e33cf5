// Which GEMM backends this build has, and which one a plan uses.
#include <atomic>
#include <cstdlib>

#include "src/gemm/gemm.h"
#include "src/str_cat.h"
#if COLCONV_GEMM_OPENBLAS
#include "src/gemm/openblas.h"
#endif
#if COLCONV_GEMM_ONEDNN
#include "src/gemm/onednn.h"
#endif

namespace colconv {
namespace gemm {
namespace {

std::atomic<const Backend*> g_process_choice{nullptr};

const Backend* Find(const std::string& name) {
  for (const Backend* b : BuiltBackends()) {
    if (name == b->name()) return b;
  }
  return nullptr;
}

Status Unknown(const std::string& where, const std::string& name) {
  const bool known = name == "openblas" || name == "onednn";
  return Status(StatusCode::kInvalidArgument,
                StrCat(where, " '", name, "' is ", known ? "not built into this colconv" : "not a GEMM backend",
                       " (this build has: ", BuiltBackendNames(), ")",
                       name == "onednn" && known ? "; onednn needs Debian's libdnnl-dev when colconv is configured" : ""));
}

}  // namespace

const std::vector<const Backend*>& BuiltBackends() {
  static const std::vector<const Backend*> backends = {
#if COLCONV_GEMM_OPENBLAS
      &OpenBlas(),
#endif
#if COLCONV_GEMM_ONEDNN
      &OneDnn(),
#endif
  };
  return backends;
}

std::string BuiltBackendNames(const char* separator) {
  std::string names;
  for (const Backend* b : BuiltBackends()) names += StrCat(names.empty() ? "" : separator, b->name());
  return names;
}

Status ChooseBackend(const std::string& requested, const Backend** backend) {
  if (!requested.empty()) {
    *backend = Find(requested);
    return *backend != nullptr ? Status() : Unknown("PlanOptions::gemm: the backend", requested);
  }
  if (const Backend* chosen = g_process_choice.load(std::memory_order_acquire)) {
    *backend = chosen;
    return Status();
  }
  const char* env = std::getenv("COLCONV_GEMM");
  if (env != nullptr && env[0] != '\0') {
    *backend = Find(env);
    return *backend != nullptr ? Status() : Unknown("the environment variable COLCONV_GEMM: the backend", env);
  }
  *backend = BuiltBackends().front();
  return Status();
}

Status SetProcessBackend(const std::string& name) {
  const Backend* b = nullptr;
  if (!name.empty() && (b = Find(name)) == nullptr) return Unknown("SetGemmBackend: the backend", name);
  g_process_choice.store(b, std::memory_order_release);
  return Status();
}

}  // namespace gemm
}  // namespace colconv
