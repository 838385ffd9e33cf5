// A float buffer butted against an inaccessible page, so that a kernel reading or writing one float past its
// end (or before its start) faults at once instead of passing unnoticed.
#ifndef COLCONV_TOOLS_GUARDED_PAGES_H_
#define COLCONV_TOOLS_GUARDED_PAGES_H_

#include <cstddef>

namespace colconv {
namespace check {

class GuardedPages {
 public:
  enum class Side { kAfterEnd, kBeforeStart };  // where the data touches the guard page
  GuardedPages(size_t count, Side side);
  ~GuardedPages();
  GuardedPages(const GuardedPages&) = delete;
  GuardedPages& operator=(const GuardedPages&) = delete;

  float* data() { return data_; }
  size_t size() const { return count_; }
  // Makes the data read-only (a kernel writing to its input then faults) or writable again.
  void SetReadOnly(bool read_only);

 private:
  void* base_ = nullptr;
  size_t mapped_ = 0, page_ = 0, data_pages_ = 0;
  float* data_ = nullptr;
  size_t count_ = 0;
};

}  // namespace check
}  // namespace colconv

#endif  // COLCONV_TOOLS_GUARDED_PAGES_H_
