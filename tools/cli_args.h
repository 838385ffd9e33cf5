// Command-line options of the form --name value and --flag.
#ifndef COLCONV_TOOLS_CLI_ARGS_H_
#define COLCONV_TOOLS_CLI_ARGS_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace colconv {
namespace cli {

class Args {
 public:
  // `flags` are the options that take no value. Returns false (with *error) on a malformed line.
  bool Parse(int argc, char** argv, const std::set<std::string>& flags, std::string* error);
  bool Has(const std::string& name) const { return values_.count(name) > 0 || flags_.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  // Comma-separated integers ("1,5,5,3"); false with *error naming the option when malformed.
  bool Ints(const std::string& name, std::vector<int64_t>* out, std::string* error) const;
  // Options given but not in `known`, for a clear error.
  std::vector<std::string> Unknown(const std::set<std::string>& known) const;

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
};

// Parses "1,5,5,3" (or "3") into integers; false on anything else.
bool ParseInts(const std::string& text, std::vector<int64_t>* out);

}  // namespace cli
}  // namespace colconv

#endif  // COLCONV_TOOLS_CLI_ARGS_H_
