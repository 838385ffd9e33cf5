// benchdnn-style convolution descriptors (mb1ic64ih56oc64oh56kh3ph1n"name"), as ../shared/peers/desc.py reads
// them: missing w-values copy the h-values, dh/dw are dilation - 1, a missing output size follows from the pad
// and a missing pad from the output size, and the bottom/right pad is whatever makes the output size come out.
#ifndef COLCONV_TOOLS_BENCH_SUITE_H_
#define COLCONV_TOOLS_BENCH_SUITE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "colconv/conv2d.h"

namespace colconv {
namespace cli {

struct Layer {
  std::string name;
  int64_t mb = 2, g = 1, ic = 0, ih = 0, iw = 0, oc = 0, oh = 0, ow = 0, kh = 1, kw = 1, sh = 1, sw = 1;
  int64_t ph = 0, pw = 0, prh = 0, prw = 0;  // top, left, bottom, right
  int64_t dh = 0, dw = 0;                    // dilation - 1

  // 2 * mb * oc * oh * ow * (ic / g) * kh * kw, the count every direction is credited with.
  double Flops() const;
  Conv2dDesc Desc(DataFormat data, FilterFormat filter) const;
  Shape4 SrcShape(DataFormat data) const;
  Shape4 WeightsShape(FilterFormat filter) const;
};

// false (with *error) for a malformed line; blank and # lines give false with an empty error.
bool ParseLayer(const std::string& line, Layer* layer, std::string* error);
// Every layer of a suite file; mb > 0 overrides the minibatch. false with *error when the file is unreadable
// or a line is malformed.
bool LoadSuite(const std::string& path, int64_t mb, std::vector<Layer>* layers, std::string* error);

}  // namespace cli
}  // namespace colconv

#endif  // COLCONV_TOOLS_BENCH_SUITE_H_
