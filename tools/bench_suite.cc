#include "tools/bench_suite.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>

namespace colconv {
namespace cli {

double Layer::Flops() const {
  return 2.0 * static_cast<double>(mb) * static_cast<double>(oc) * static_cast<double>(oh * ow) *
         static_cast<double>(ic / g) * static_cast<double>(kh * kw);
}

Conv2dDesc Layer::Desc(DataFormat data, FilterFormat filter) const {
  Conv2dDesc d;
  d.data_format = data;
  d.filter_format = filter;
  d.strides = {sh, sw};
  d.dilations = {dh + 1, dw + 1};
  d.padding = Padding::kExplicit;
  // benchdnn's bottom/right pad is negative when the last input rows are unused (a strided 1x1, say); colconv's
  // explicit pads are >= 0 and reach the same output size with 0 there (ParseLayer checks it).
  d.explicit_paddings = {ph, std::max<int64_t>(0, prh), pw, std::max<int64_t>(0, prw)};
  d.groups = g;
  return d;
}

Shape4 Layer::SrcShape(DataFormat data) const {
  return data == DataFormat::kNHWC ? Shape4{mb, ih, iw, ic} : Shape4{mb, ic, ih, iw};
}

Shape4 Layer::WeightsShape(FilterFormat filter) const {
  return filter == FilterFormat::kHWIO ? Shape4{kh, kw, ic / g, oc} : Shape4{oc, ic / g, kh, kw};
}

bool ParseLayer(const std::string& raw, Layer* layer, std::string* error) {
  error->clear();
  std::string line = raw;
  line.erase(std::remove(line.begin(), line.end(), '\r'), line.end());
  const size_t first = line.find_first_not_of(" \t");
  if (first == std::string::npos || line[first] == '#') return false;
  Layer l;
  const size_t name_at = line.find("n\"");
  if (name_at != std::string::npos) {
    const size_t end = line.find('"', name_at + 2);
    if (end == std::string::npos) {
      *error = "unterminated name in '" + raw + "'";
      return false;
    }
    l.name = line.substr(name_at + 2, end - name_at - 2);
    line.erase(name_at, end + 1 - name_at);
  }
  line.erase(std::remove(line.begin(), line.end(), '_'), line.end());
  std::map<std::string, int64_t> v;
  for (size_t i = first; i < line.size();) {
    if (std::isspace(static_cast<unsigned char>(line[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < line.size() && std::islower(static_cast<unsigned char>(line[j]))) ++j;
    size_t k = j;
    while (k < line.size() && std::isdigit(static_cast<unsigned char>(line[k]))) ++k;
    if (j == i || k == j) {
      *error = "cannot read '" + raw + "' at '" + line.substr(i) + "'";
      return false;
    }
    v[line.substr(i, j - i)] = std::stoll(line.substr(j, k - j));
    i = k;
  }
  if (!v.count("ic") || !v.count("oc")) {
    *error = "'" + raw + "' needs ic and oc";
    return false;
  }
  l.mb = v.count("mb") ? v["mb"] : 2;
  l.g = v.count("g") ? v["g"] : 1;
  l.ic = v["ic"];
  l.oc = v["oc"];
  const bool one_d = !v.count("ih") && v.count("iw");
  auto get = [&](const std::string& p, char axis, int64_t fallback, bool* found) {
    const char other = axis == 'h' ? 'w' : 'h';
    *found = true;
    if (v.count(p + axis)) return v[p + axis];
    if (one_d && axis == 'h') return p == "i" || p == "o" || p == "k" || p == "s" ? int64_t{1} : int64_t{0};
    if (!one_d && v.count(p + other)) return v[p + other];
    *found = false;
    return fallback;
  };
  for (char axis : {'h', 'w'}) {
    bool has_i, has_o, has_p, found;
    const int64_t i = get("i", axis, 0, &has_i);
    const int64_t k = get("k", axis, 1, &found), s = get("s", axis, 1, &found), d = get("d", axis, 0, &found);
    int64_t p = get("p", axis, 0, &has_p);
    int64_t o = get("o", axis, 0, &has_o);
    if (!has_i || s < 1) {
      *error = "'" + raw + "' needs i" + axis + " and a stride >= 1";
      return false;
    }
    const int64_t eff = (k - 1) * (d + 1) + 1;
    if (!has_o) o = (i - eff + 2 * p) / s + 1;
    if (has_o && !has_p) p = std::max<int64_t>(((o - 1) * s + eff - i) / 2, 0);
    const int64_t pr = (o - 1) * s + eff - i - p;
    int64_t* fields[] = {axis == 'h' ? &l.ih : &l.iw, axis == 'h' ? &l.oh : &l.ow, axis == 'h' ? &l.kh : &l.kw,
                         axis == 'h' ? &l.sh : &l.sw, axis == 'h' ? &l.ph : &l.pw, axis == 'h' ? &l.prh : &l.prw,
                         axis == 'h' ? &l.dh : &l.dw};
    const int64_t values[] = {i, o, k, s, p, pr, d};
    for (int f = 0; f < 7; ++f) *fields[f] = values[f];
    if (o < 1 || (i + p + std::max<int64_t>(0, pr) - eff) / s + 1 != o) {
      *error = "'" + raw + "': output size " + std::to_string(o) + " does not follow from the input, filter, stride and pads";
      return false;
    }
  }
  *layer = l;
  return true;
}

bool LoadSuite(const std::string& path, int64_t mb, std::vector<Layer>* layers, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot open suite " + path;
    return false;
  }
  std::string line;
  while (std::getline(in, line)) {
    Layer l;
    if (ParseLayer(line, &l, error)) {
      if (mb > 0) l.mb = mb;
      layers->push_back(l);
    } else if (!error->empty()) {
      return false;
    }
  }
  return true;
}

}  // namespace cli
}  // namespace colconv
