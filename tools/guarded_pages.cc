#include "tools/guarded_pages.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <new>

namespace colconv {
namespace check {

GuardedPages::GuardedPages(size_t count, Side side) : count_(count) {
  page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t bytes = count * sizeof(float);
  data_pages_ = (bytes + page_ - 1) / page_ + 1;
  mapped_ = (data_pages_ + 2) * page_;  // guard, data pages, guard
  base_ = mmap(nullptr, mapped_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base_ == MAP_FAILED) throw std::bad_alloc();
  char* first = static_cast<char*>(base_) + page_;
  if (mprotect(first, data_pages_ * page_, PROT_READ | PROT_WRITE) != 0) throw std::bad_alloc();
  char* start = side == Side::kBeforeStart ? first : first + data_pages_ * page_ - bytes;
  data_ = reinterpret_cast<float*>(start);
}

GuardedPages::~GuardedPages() { munmap(base_, mapped_); }

void GuardedPages::SetReadOnly(bool read_only) {
  mprotect(static_cast<char*>(base_) + page_, data_pages_ * page_, read_only ? PROT_READ : PROT_READ | PROT_WRITE);
}

}  // namespace check
}  // namespace colconv
