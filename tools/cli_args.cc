#include "tools/cli_args.h"

#include <cerrno>
#include <cstdlib>

namespace colconv {
namespace cli {

bool ParseInts(const std::string& text, std::vector<int64_t>* out) {
  out->clear();
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = text.find(',', pos);
    const std::string piece = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (piece.empty()) return false;
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(piece.c_str(), &end, 10);
    if (errno != 0 || *end != '\0') return false;
    out->push_back(v);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return !out->empty();
}

bool Args::Parse(int argc, char** argv, const std::set<std::string>& flags, std::string* error) {
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      *error = "unexpected argument '" + arg + "' (options start with --)";
      return false;
    }
    std::string name = arg.substr(2), value;
    const size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (flags.count(name) > 0) {
      flags_.insert(name);
      continue;
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      *error = "option --" + name + " needs a value";
      return false;
    }
    values_[name] = value;
  }
  return true;
}

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

bool Args::Ints(const std::string& name, std::vector<int64_t>* out, std::string* error) const {
  if (!ParseInts(Get(name), out)) {
    *error = "--" + name + " '" + Get(name) + "' is not a comma-separated list of integers";
    return false;
  }
  return true;
}

std::vector<std::string> Args::Unknown(const std::set<std::string>& known) const {
  std::vector<std::string> unknown;
  for (const auto& kv : values_) {
    if (known.count(kv.first) == 0) unknown.push_back(kv.first);
  }
  for (const auto& f : flags_) {
    if (known.count(f) == 0) unknown.push_back(f);
  }
  return unknown;
}

}  // namespace cli
}  // namespace colconv
