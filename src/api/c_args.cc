#include "src/api/c_args.h"

#include "src/shape.h"
#include "src/str_cat.h"

namespace colconv {
namespace {

thread_local std::string t_last_error;

}  // namespace

void SetLastError(const Status& status) {
  if (status.ok()) {
    t_last_error.clear();
  } else {
    t_last_error = status.message();
  }
}

const char* LastError() { return t_last_error.c_str(); }

Status NullArgument(const char* op, const char* name) {
  return Status(StatusCode::kInvalidArgument, StrCat(op, ": ", name, " is NULL"));
}

Status ReadAttrs(const char* op, const colconv_conv2d_attrs* attrs, Conv2dDesc* desc) {
  if (attrs == nullptr) return NullArgument(op, "attrs");
  desc->data_format = static_cast<DataFormat>(EnumValue(attrs->data_format));
  desc->filter_format = static_cast<FilterFormat>(EnumValue(attrs->filter_format));
  desc->strides = {attrs->strides[0], attrs->strides[1]};
  desc->dilations = {attrs->dilations[0], attrs->dilations[1]};
  desc->padding = static_cast<Padding>(EnumValue(attrs->padding));
  desc->explicit_paddings = {attrs->explicit_paddings[0], attrs->explicit_paddings[1],
                             attrs->explicit_paddings[2], attrs->explicit_paddings[3]};
  desc->groups = attrs->groups;
  return Status();
}

Status ReadShape(const char* op, const char* name, const int64_t* values, Shape4* shape) {
  if (values == nullptr) return NullArgument(op, name);
  std::memcpy(shape->data(), values, sizeof(Shape4));
  return Status();
}

Status ReadRequest(Direction direction, const colconv_conv2d_attrs* attrs, std::array<const char*, 3> shape_names,
                   std::array<const int64_t*, 3> shapes, internal::Request* request) {
  const char* op = OpName(direction);
  request->direction = direction;
  Shape4 input{};
  Status s = ReadAttrs(op, attrs, &request->desc);
  if (s.ok()) s = ReadShape(op, shape_names[0], shapes[0], &input);
  if (s.ok()) s = ReadShape(op, shape_names[1], shapes[1], &request->filter);
  if (s.ok() && direction != Direction::kForward) s = ReadShape(op, shape_names[2], shapes[2], &request->out_backprop);
  request->input.assign(input.begin(), input.end());
  return s;
}

Status ReadDirection(const char* op, const colconv_direction& direction, Direction* out) {
  const int d = EnumValue(direction);
  if (d < 0 || d > 2) {
    return Status(StatusCode::kInvalidArgument,
                  StrCat(op, ": direction is ", d,
                         "; must be COLCONV_FORWARD (0), COLCONV_BACKPROP_INPUT (1) or COLCONV_BACKPROP_FILTER (2)"));
  }
  *out = static_cast<Direction>(d);
  return Status();
}

}  // namespace colconv
