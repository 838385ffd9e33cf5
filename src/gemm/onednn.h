// oneDNN's sgemm as colconv's GEMM backend (built with -Dgemm=both or onednn and Debian's libdnnl-dev): the only
// file that includes dnnl.h is src/gemm/onednn.cc.
#ifndef COLCONV_SRC_GEMM_ONEDNN_H_
#define COLCONV_SRC_GEMM_ONEDNN_H_

#include "src/gemm/gemm.h"

namespace colconv {
namespace gemm {

const Backend& OneDnn();

}  // namespace gemm
}  // namespace colconv

#endif  // COLCONV_SRC_GEMM_ONEDNN_H_
