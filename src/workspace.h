// A run's scratch memory, booked by name when a plan is made and found by name when it runs (oneDNN's
// scratchpad registry is the model): the plan never keeps offsets by hand, and a run cannot reach a buffer the
// plan did not book. Shared buffers come first, then one block per worker; every buffer starts 64-byte aligned
// whatever the alignment of the caller's memory.
#ifndef COLCONV_SRC_WORKSPACE_H_
#define COLCONV_SRC_WORKSPACE_H_

#include <cstddef>
#include <string>
#include <vector>

namespace colconv {
namespace internal {

class WorkspaceLayout {
 public:
  static constexpr size_t kMaxAlignment = 64;

  // `bytes` that every worker of a run shares (a reordered filter, partial sums), described by `what` for
  // messages ("bytes of reordered filter").
  void Book(const char* name, size_t bytes, size_t alignment, std::string what);
  // `bytes` for each worker (a column tile), described by `what` ("one column tile of 256 px x 576 K").
  void BookPerWorker(const char* name, size_t bytes, size_t alignment, std::string what);

  size_t shared_bytes() const { return shared_bytes_; }
  // The caller's memory a run with `workers` workers needs, at any alignment; 0 when nothing is booked.
  size_t Bytes(int workers) const;
  // What the bookings are, for messages: "one column tile of ... (N bytes) per worker plus M bytes of ...".
  std::string Describe() const;

 private:
  friend class Workspace;
  struct Entry {
    const char* name;
    size_t offset;  // from the shared area's start, or from the worker block's start
    size_t bytes;
    bool per_worker;
    std::string what;
  };
  const Entry& Find(const char* name) const;
  size_t worker_block_bytes() const;

  std::vector<Entry> entries_;
  size_t shared_bytes_ = 0;
  size_t worker_bytes_ = 0;
};

// A layout laid over one run's memory.
class Workspace {
 public:
  Workspace(const WorkspaceLayout& layout, void* memory);
  template <typename T>
  T* Get(const char* name) const {
    return reinterpret_cast<T*>(Address(name, 0, false));
  }
  template <typename T>
  T* Get(const char* name, int worker) const {
    return reinterpret_cast<T*>(Address(name, worker, true));
  }

 private:
  unsigned char* Address(const char* name, int worker, bool per_worker) const;
  const WorkspaceLayout& layout_;
  unsigned char* base_;
};

}  // namespace internal
}  // namespace colconv

#endif  // COLCONV_SRC_WORKSPACE_H_
