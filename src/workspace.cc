#include "src/workspace.h"

#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "src/str_cat.h"

namespace colconv {
namespace internal {
namespace {

size_t RoundUp(size_t bytes, size_t alignment) { return (bytes + alignment - 1) / alignment * alignment; }

void CheckAlignment(size_t alignment) {
  if (alignment == 0 || alignment > WorkspaceLayout::kMaxAlignment || (alignment & (alignment - 1)) != 0) {
    throw std::logic_error(StrCat("workspace alignment ", alignment, " is not a power of two up to 64"));
  }
}

}  // namespace

void WorkspaceLayout::Book(const char* name, size_t bytes, size_t alignment, std::string what) {
  CheckAlignment(alignment);
  shared_bytes_ = RoundUp(shared_bytes_, alignment);
  entries_.push_back({name, shared_bytes_, bytes, false, std::move(what)});
  shared_bytes_ = RoundUp(shared_bytes_ + bytes, kMaxAlignment);
}

void WorkspaceLayout::BookPerWorker(const char* name, size_t bytes, size_t alignment, std::string what) {
  CheckAlignment(alignment);
  worker_bytes_ = RoundUp(worker_bytes_, alignment);
  entries_.push_back({name, worker_bytes_, bytes, true, std::move(what)});
  worker_bytes_ += bytes;
}

size_t WorkspaceLayout::worker_block_bytes() const { return RoundUp(worker_bytes_, kMaxAlignment); }

size_t WorkspaceLayout::Bytes(int workers) const {
  if (shared_bytes_ + worker_bytes_ == 0) return 0;
  // The leading kMaxAlignment bytes let the base be aligned up from any pointer the caller passes.
  return kMaxAlignment + shared_bytes_ + static_cast<size_t>(workers) * worker_block_bytes();
}

std::string WorkspaceLayout::Describe() const {
  std::string text;
  for (const Entry& e : entries_) {
    if (!text.empty()) text += " plus ";
    text += e.per_worker ? StrCat(e.what, " (", e.bytes, " bytes) per worker") : StrCat(e.bytes, " ", e.what);
  }
  return text;
}

const WorkspaceLayout::Entry& WorkspaceLayout::Find(const char* name) const {
  for (const Entry& e : entries_) {
    if (std::strcmp(e.name, name) == 0) return e;
  }
  throw std::logic_error(StrCat("no workspace buffer named '", name, "' was booked"));
}

Workspace::Workspace(const WorkspaceLayout& layout, void* memory) : layout_(layout) {
  const uintptr_t p = reinterpret_cast<uintptr_t>(memory);
  base_ = reinterpret_cast<unsigned char*>(RoundUp(p, WorkspaceLayout::kMaxAlignment));
}

unsigned char* Workspace::Address(const char* name, int worker, bool per_worker) const {
  const WorkspaceLayout::Entry& e = layout_.Find(name);
  if (e.per_worker != per_worker) {
    throw std::logic_error(StrCat("workspace buffer '", name, "' is ", e.per_worker ? "" : "not ", "per worker"));
  }
  if (!per_worker) return base_ + e.offset;
  return base_ + layout_.shared_bytes_ + static_cast<size_t>(worker) * layout_.worker_block_bytes() + e.offset;
}

}  // namespace internal
}  // namespace colconv
