#include "src/warnings.h"

#include <cstdio>
#include <mutex>

namespace colconv {
namespace {

std::mutex g_mutex;
WarningHandler g_handler = nullptr;
void* g_user_data = nullptr;

}  // namespace

void SetWarningHandler(WarningHandler handler, void* user_data) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_handler = handler;
  g_user_data = user_data;
}

void Warn(const std::string& message) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_handler != nullptr) {
    g_handler(message.c_str(), g_user_data);
  } else {
    std::fprintf(stderr, "%s\n", message.c_str());
  }
}

}  // namespace colconv
