/* colconv C API: 2-D convolution forward, backprop-input and backprop-filter on the CPU.
 *
 * Semantics follow TensorFlow's Conv2D / Conv2DBackpropInput / Conv2DBackpropFilter (and PyTorch's conv2d
 * through COLCONV_EXPLICIT padding), extended to both data formats, both filter formats, dilation and groups
 * in all three directions.
 *
 * Error guarantee: every function validates all of its arguments and books all of its memory before it
 * writes the first byte of a result. On any status other than COLCONV_OK nothing has been written to the
 * result buffer, and colconv_last_error() returns a message naming the argument, its value and the rule
 * it broke. A successful call clears this thread's message.
 *
 * Data pointers may be NULL only where the tensor they point to has zero elements.
 */
#ifndef COLCONV_COLCONV_H_
#define COLCONV_COLCONV_H_

#include <stddef.h>
#include <stdint.h>

#include "colconv/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { COLCONV_OK = 0, COLCONV_INVALID_ARGUMENT = 1, COLCONV_UNIMPLEMENTED = 2,
               COLCONV_RESOURCE_EXHAUSTED = 3, COLCONV_INTERNAL = 4 } colconv_status;
typedef enum { COLCONV_NHWC = 0, COLCONV_NCHW = 1 } colconv_data_format;
typedef enum { COLCONV_HWIO = 0, COLCONV_OIHW = 1 } colconv_filter_format;
typedef enum { COLCONV_VALID = 0, COLCONV_SAME = 1, COLCONV_EXPLICIT = 2 } colconv_padding;
typedef enum { COLCONV_FORWARD = 0, COLCONV_BACKPROP_INPUT = 1, COLCONV_BACKPROP_FILTER = 2 } colconv_direction;

typedef struct {
  colconv_data_format data_format;
  colconv_filter_format filter_format;
  int64_t strides[2];            /* h, w */
  int64_t dilations[2];          /* h, w; 1 = dense */
  colconv_padding padding;
  int64_t explicit_paddings[4];  /* top, bottom, left, right; read only for COLCONV_EXPLICIT */
  int64_t groups;                /* input channels = groups * filter input channels */
} colconv_conv2d_attrs;

/* NHWC, HWIO, strides 1, dilations 1, VALID, pads 0, groups 1 */
COLCONV_API void colconv_conv2d_attrs_init(colconv_conv2d_attrs* attrs);

/* Shapes have 4 entries: tensors in data_format order, filters in filter_format order.
   On failure nothing is written to the result buffer and colconv_last_error() says why. */
COLCONV_API colconv_status colconv_conv2d_output_shape(const colconv_conv2d_attrs* attrs,
                                                       const int64_t input_shape[4],
                                                       const int64_t filter_shape[4],
                                                       int64_t output_shape[4]);

/* output = conv2d(input, filter); output has the shape colconv_conv2d_output_shape gives. */
COLCONV_API colconv_status colconv_conv2d(const colconv_conv2d_attrs* attrs, const int64_t input_shape[4],
                                          const float* input, const int64_t filter_shape[4],
                                          const float* filter, float* output);

/* in_backprop (shape input_sizes) = gradient of conv2d with respect to its input. The forward output size
   computed from input_sizes must equal out_backprop's spatial size; if not, the message says which size was
   computed, by which formula, and which input sizes would have been consistent. */
COLCONV_API colconv_status colconv_conv2d_backprop_input(const colconv_conv2d_attrs* attrs,
                                                         const int64_t input_sizes[4],
                                                         const int64_t filter_shape[4], const float* filter,
                                                         const int64_t out_backprop_shape[4],
                                                         const float* out_backprop, float* in_backprop);

/* filter_backprop (shape filter_sizes) = gradient of conv2d with respect to its filter. */
COLCONV_API colconv_status colconv_conv2d_backprop_filter(const colconv_conv2d_attrs* attrs,
                                                          const int64_t input_shape[4], const float* input,
                                                          const int64_t filter_sizes[4],
                                                          const int64_t out_backprop_shape[4],
                                                          const float* out_backprop, float* filter_backprop);

/* This thread's last failure message; "" when the last call on this thread succeeded or none was made.
   The pointer stays valid until the next colconv call on this thread. */
COLCONV_API const char* colconv_last_error(void);

/* ---- Operators: weights packed once, run many times ---------------------------------------------------- */

/* What a run does besides computing (colconv::PostOps): forward's activation, applied after the bias while each
   output tile is in cache, and accumulate mode in every direction: result += computed (GEMM beta = 1). Forward with
   accumulate computes output = activation(output + conv + bias). */
typedef enum { COLCONV_ACTIVATION_NONE = 0, COLCONV_ACTIVATION_RELU = 1, COLCONV_ACTIVATION_RELU6 = 2,
               COLCONV_ACTIVATION_CLAMP = 3 } colconv_activation;
typedef struct {
  colconv_activation activation;  /* forward only */
  float clamp_min, clamp_max;     /* COLCONV_ACTIVATION_CLAMP's bounds: min <= max */
  int accumulate;                 /* nonzero: add the result to what the output holds */
} colconv_post_ops;
/* No activation, no accumulation. */
COLCONV_API void colconv_post_ops_init(colconv_post_ops* post_ops);

/* An operator (colconv::Conv2dOperator): one problem planned once, with forward's and backprop-input's filter (and
   forward's bias) copied into the layout its algorithm reads, so the caller's buffers may change or go away. */
typedef struct colconv_conv2d_op colconv_conv2d_op;

/* Shapes as the one-shot function of `direction` takes them: input_shape (backprop-input: input_sizes),
   filter_shape (backprop-filter: filter_sizes), out_backprop_shape (read for the backprops only). filter: NULL
   for backprop-filter; bias: forward's out_channels values, or NULL; post_ops: NULL for none. On success *op is
   a new operator, to be freed with colconv_conv2d_op_destroy; on failure it is left alone. */
COLCONV_API colconv_status colconv_conv2d_op_create(colconv_direction direction, const colconv_conv2d_attrs* attrs,
                                                    const int64_t input_shape[4], const int64_t filter_shape[4],
                                                    const int64_t out_backprop_shape[4], const float* filter,
                                                    const float* bias, const colconv_post_ops* post_ops,
                                                    colconv_conv2d_op** op);
/* New filter values (and bias, or NULL for none) of the same shapes, packed now; on failure the old ones stay.
   Must not overlap a run of the same operator. */
COLCONV_API colconv_status colconv_conv2d_op_repack(colconv_conv2d_op* op, const float* filter, const float* bias);
/* Bytes a caller's workspace for one run must have (any alignment); 0 for an invalid op. */
COLCONV_API size_t colconv_conv2d_op_workspace_size(const colconv_conv2d_op* op);
/* One run: forward reads input and writes output; backprop-input reads out_backprop and writes in_backprop;
   backprop-filter reads both and writes filter_backprop. `result` is that output; the input a direction does not
   read may be NULL. workspace: NULL (the operator's own, or a temporary one while another run holds it), or
   workspace_size >= colconv_conv2d_op_workspace_size(op) bytes that no other run uses at the same time. Runs of
   one operator may go on concurrently. */
COLCONV_API colconv_status colconv_conv2d_op_run(const colconv_conv2d_op* op, const float* input,
                                                 const float* out_backprop, float* result, void* workspace,
                                                 size_t workspace_size);
/* The algorithm the operator runs ("depthwise", "im2col_gemm", ...); NULL for a NULL op. Valid while op lives. */
COLCONV_API const char* colconv_conv2d_op_algorithm(const colconv_conv2d_op* op);
COLCONV_API void colconv_conv2d_op_destroy(colconv_conv2d_op* op);

/* ---- For embedders ---------------------------------------------------------------------------------- */

/* The library's version, "MAJOR.MINOR.PATCH", and the same as MAJOR * 10000 + MINOR * 100 + PATCH. */
COLCONV_API const char* colconv_version(void);
COLCONV_API int colconv_version_number(void);

/* Threads the ops may use. 0 (the default) means the pool's: the parallel runner's threads where one is set,
   else the concurrency of the calling thread's TBB arena (all cores unless the caller limits it). Negative values
   are COLCONV_INVALID_ARGUMENT. */
COLCONV_API colconv_status colconv_set_num_threads(int num_threads);
/* The number of threads an op started now on this thread would use. */
COLCONV_API int colconv_get_num_threads(void);

/* An engine's thread pool for the ops to run their tasks on instead of TBB's threads (two pools on the same cores
   take each other's cores when one's threads spin waiting for work). run(context, count, work, work_context) must
   call work(work_context, i) once for each i in [0, count) and return when every call has returned; the calls may
   run on any of the pool's threads, at once or one after another, and no result depends on which. colconv calls
   it from the thread that started the op, with count <= num_threads, never from inside a work call; while it
   waits, that thread may run other tasks, colconv's ops among them (they take a workspace of their own). Process-wide,
   for the ops started from now on; run == NULL returns to TBB. COLCONV_INVALID_ARGUMENT, changing nothing, when
   run is set and num_threads < 1. An op whose runner returns before its work calls have returned fails with
   COLCONV_INTERNAL. */
typedef void (*colconv_parallel_work)(void* work_context, int index);
typedef void (*colconv_parallel_run)(void* context, int count, colconv_parallel_work work, void* work_context);
COLCONV_API colconv_status colconv_set_parallel_runner(colconv_parallel_run run, void* context, int num_threads);

/* The one-shot functions keep the plans of recent problems; each plan's workspace (one column tile per worker,
   plus a reordered filter or partial sums where an algorithm needs them) stays within this many bytes.
   0 (the default) means about threads x 2 x L2 for the tiles plus the shared part. A budget too small for one
   tile makes the ops fail with COLCONV_RESOURCE_EXHAUSTED. Results depend on the problem and this budget, never
   on the number of threads. */
COLCONV_API colconv_status colconv_set_workspace_budget(size_t bytes);

/* GEMM backends: "openblas" (the default) and, where colconv was built with Debian's libdnnl-dev, "onednn". Each is
   deterministic by itself; their results differ from each other in the last bits. This sets the process's choice
   for the ops from now on; NULL or "" returns to the COLCONV_GEMM environment variable, or the default. An unknown
   or unbuilt name is COLCONV_INVALID_ARGUMENT and changes nothing. */
COLCONV_API colconv_status colconv_set_gemm_backend(const char* name);
/* The backend an op started now would use; NULL, with colconv_last_error() saying why, when COLCONV_GEMM names one
   this build lacks. */
COLCONV_API const char* colconv_get_gemm_backend(void);
/* The backends this build has, comma-separated, the default first: "openblas,onednn". */
COLCONV_API const char* colconv_gemm_backends(void);

/* The algorithm the op of `direction` runs for these arguments (as colconv_conv2d and the backprops take them;
   out_backprop_shape is read for the backprops only): "depthwise", "im2col_gemm", ... NULL, with
   colconv_last_error() saying why, when the arguments are invalid. The string stays valid for the process. */
COLCONV_API const char* colconv_conv2d_algorithm(colconv_direction direction, const colconv_conv2d_attrs* attrs,
                                                 const int64_t input_shape[4], const int64_t filter_shape[4],
                                                 const int64_t out_backprop_shape[4]);
/* Forces the algorithm of the ops from now on, for tests and comparisons (an op whose problem it does not compute
   then fails with COLCONV_INVALID_ARGUMENT and the reason); NULL or "" returns to the COLCONV_ALGORITHM
   environment variable, or colconv's choice. An unknown name is COLCONV_INVALID_ARGUMENT and changes nothing. */
COLCONV_API colconv_status colconv_set_algorithm(const char* name);

/* Advice that is not an error (an OpenBLAS core below the CPU's ISA, say) goes to the handler, or to stderr
   when it is NULL (the default). The handler may be called from any thread, one call at a time. */
typedef void (*colconv_warning_handler)(const char* message, void* user_data);
COLCONV_API void colconv_set_warning_handler(colconv_warning_handler handler, void* user_data);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* COLCONV_COLCONV_H_ */
