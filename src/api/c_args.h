// What the C API's entry points share: the exception guard that turns a Status into a colconv_status and this
// thread's last-error message, and readers of C arguments that name the argument when it is invalid.
#ifndef COLCONV_SRC_API_C_ARGS_H_
#define COLCONV_SRC_API_C_ARGS_H_

#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "colconv/colconv.h"
#include "colconv/conv2d.h"
#include "src/api/wall.h"

namespace colconv {

// Sets this thread's message (cleared on success); the pointer colconv_last_error() returns.
void SetLastError(const Status& status);
const char* LastError();

// Every C entry point: the wall's exception guard, then this thread's message.
template <typename F>
colconv_status Api(F&& body) {
  const Status s = internal::Guarded(body);
  SetLastError(s);
  return static_cast<colconv_status>(s.code());
}

// C code may store any int in an enum field; read it as an int so an out-of-range value is an error, not UB.
template <typename Enum>
int EnumValue(const Enum& field) {
  static_assert(sizeof(Enum) == sizeof(int), "the C enums must be int-sized");
  int value;
  std::memcpy(&value, &field, sizeof value);
  return value;
}

Status NullArgument(const char* op, const char* name);
Status ReadAttrs(const char* op, const colconv_conv2d_attrs* attrs, Conv2dDesc* desc);
// Copies a 4-entry shape argument; a NULL pointer is an error naming the argument.
Status ReadShape(const char* op, const char* name, const int64_t* values, Shape4* shape);
// Reads one op's attributes and shapes (named as in colconv.h) into a request; out_backprop's shape is read for
// the backprops only.
Status ReadRequest(Direction direction, const colconv_conv2d_attrs* attrs, std::array<const char*, 3> shape_names,
                   std::array<const int64_t*, 3> shapes, internal::Request* request);
// A colconv_direction argument of function `op`, by reference: C may pass any int, and loading it as the enum is UB.
Status ReadDirection(const char* op, const colconv_direction& direction, Direction* out);

}  // namespace colconv

#endif  // COLCONV_SRC_API_C_ARGS_H_
