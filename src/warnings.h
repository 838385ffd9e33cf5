// colconv's one channel for advice that is not an error (a slow OpenBLAS core, for now). Printed on stderr
// unless an embedder installs its own handler.
#ifndef COLCONV_SRC_WARNINGS_H_
#define COLCONV_SRC_WARNINGS_H_

#include <string>

#include "colconv/conv2d.h"  // SetWarningHandler, the public half of this module

namespace colconv {

using WarningHandler = void (*)(const char* message, void* user_data);

void Warn(const std::string& message);

}  // namespace colconv

#endif  // COLCONV_SRC_WARNINGS_H_
