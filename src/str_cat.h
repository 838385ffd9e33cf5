// Builds error messages from mixed pieces.
#ifndef COLCONV_SRC_STR_CAT_H_
#define COLCONV_SRC_STR_CAT_H_

#include <sstream>
#include <string>

namespace colconv {

template <typename... Args>
std::string StrCat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

}  // namespace colconv

#endif  // COLCONV_SRC_STR_CAT_H_
