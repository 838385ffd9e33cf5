/* colconv.h compiles as C99 and the C ABI of libcolconv.so works from C. */
#include <colconv/colconv.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int failures = 0;
#define EXPECT(cond)                                               \
  do {                                                             \
    if (!(cond)) {                                                 \
      fprintf(stderr, "%s:%d: EXPECT(%s)\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                  \
    }                                                              \
  } while (0)

/* An engine's pool for colconv's workers: here one after another on the calling thread. */
static int runner_calls = 0;
static void run_in_order(void* context, int count, colconv_parallel_work work, void* work_context) {
  int i;
  (void)context;
  ++runner_calls;
  for (i = 0; i < count; ++i) work(work_context, i);
}

static float pooled_src[32 * 32 * 16], pooled_weights[3 * 3 * 16 * 16], pooled_dst[2][30 * 30 * 16];

int main(void) {
  colconv_conv2d_attrs attrs;
  const int64_t input_shape[4] = {1, 3, 3, 1};
  const int64_t filter_shape[4] = {2, 2, 1, 1};
  int64_t output_shape[4] = {0, 0, 0, 0};
  const float input[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const float filter[4] = {1, 10, 100, 1000};
  float output[4] = {0, 0, 0, 0};
  float in_backprop[9];
  float filter_backprop[4];
  const float ones[4] = {1, 1, 1, 1};
  int64_t wrong_sizes[4] = {1, 5, 3, 1};

  colconv_conv2d_attrs_init(&attrs);
  EXPECT(attrs.strides[0] == 1 && attrs.dilations[1] == 1 && attrs.groups == 1 && attrs.padding == COLCONV_VALID);
  EXPECT(colconv_conv2d_output_shape(&attrs, input_shape, filter_shape, output_shape) == COLCONV_OK);
  EXPECT(output_shape[1] == 2 && output_shape[2] == 2);
  EXPECT(colconv_conv2d(&attrs, input_shape, input, filter_shape, filter, output) == COLCONV_OK);
  /* 1*1 + 2*10 + 4*100 + 5*1000 */
  EXPECT(fabsf(output[0] - 5421.0f) < 1e-3f);
  EXPECT(colconv_conv2d_backprop_input(&attrs, input_shape, filter_shape, filter, output_shape, ones,
                                       in_backprop) == COLCONV_OK);
  EXPECT(fabsf(in_backprop[4] - 1111.0f) < 1e-3f); /* the centre is under every tap once */
  EXPECT(colconv_conv2d_backprop_filter(&attrs, input_shape, input, filter_shape, output_shape, ones,
                                        filter_backprop) == COLCONV_OK);
  EXPECT(fabsf(filter_backprop[0] - 12.0f) < 1e-3f); /* 1 + 2 + 4 + 5 */

  EXPECT(colconv_conv2d_backprop_input(&attrs, wrong_sizes, filter_shape, filter, output_shape, ones,
                                       in_backprop) == COLCONV_INVALID_ARGUMENT);
  EXPECT(strstr(colconv_last_error(), "input heights") == NULL); /* stride 1: a single size fits */
  EXPECT(strstr(colconv_last_error(), "input height 3 gives 2") != NULL);
  /* An operator: the filter packed once, a bias and ReLU fused, then accumulate mode on top of the result. */
  {
    const float bias[1] = {-5000.0f};
    colconv_post_ops post_ops;
    colconv_conv2d_op* op = NULL;
    colconv_post_ops_init(&post_ops);
    post_ops.activation = COLCONV_ACTIVATION_RELU;
    EXPECT(colconv_conv2d_op_create(COLCONV_FORWARD, &attrs, input_shape, filter_shape, NULL, filter, bias,
                                    &post_ops, &op) == COLCONV_OK);
    EXPECT(op != NULL && colconv_conv2d_op_algorithm(op) != NULL);
    EXPECT(colconv_conv2d_op_run(op, input, NULL, output, NULL, 0) == COLCONV_OK);
    EXPECT(fabsf(output[0] - 421.0f) < 1e-3f); /* relu(5421 - 5000) */
    EXPECT(output[3] >= 0.0f);
    colconv_conv2d_op_destroy(op);
    op = NULL;
    post_ops.activation = COLCONV_ACTIVATION_NONE;
    post_ops.accumulate = 1;
    EXPECT(colconv_conv2d_op_create(COLCONV_FORWARD, &attrs, input_shape, filter_shape, NULL, filter, NULL,
                                    &post_ops, &op) == COLCONV_OK);
    EXPECT(colconv_conv2d_op_run(op, input, NULL, output, NULL, 0) == COLCONV_OK);
    EXPECT(fabsf(output[0] - 5842.0f) < 1e-3f); /* 421 + 5421 */
    EXPECT(colconv_conv2d_op_run(NULL, input, NULL, output, NULL, 0) == COLCONV_INVALID_ARGUMENT);
    EXPECT(strstr(colconv_last_error(), "op is NULL") != NULL);
    colconv_conv2d_op_destroy(op);
  }
  /* The same bits on TBB's threads and through a runner of 3 threads, which the ops' workers then go through. */
  {
    const int64_t src_shape[4] = {1, 32, 32, 16}, weights_shape[4] = {3, 3, 16, 16};
    int i, pool;
    for (i = 0; i < 32 * 32 * 16; ++i) pooled_src[i] = (float)(i % 7) - 3.0f;
    for (i = 0; i < 3 * 3 * 16 * 16; ++i) pooled_weights[i] = (float)(i % 5) * 0.25f;
    EXPECT(colconv_set_num_threads(0) == COLCONV_OK);
    for (pool = 0; pool < 2; ++pool) {
      EXPECT(colconv_set_parallel_runner(pool ? run_in_order : NULL, NULL, 3) == COLCONV_OK);
      EXPECT(colconv_conv2d(&attrs, src_shape, pooled_src, weights_shape, pooled_weights, pooled_dst[pool]) ==
             COLCONV_OK);
    }
    EXPECT(colconv_get_num_threads() == 3 && runner_calls > 0);
    EXPECT(memcmp(pooled_dst[0], pooled_dst[1], sizeof(pooled_dst[0])) == 0);
    EXPECT(colconv_set_parallel_runner(run_in_order, NULL, 0) == COLCONV_INVALID_ARGUMENT);
    EXPECT(strstr(colconv_last_error(), "a runner must have >= 1 thread") != NULL);
    EXPECT(colconv_set_parallel_runner(NULL, NULL, 0) == COLCONV_OK);
  }
  EXPECT(colconv_set_num_threads(1) == COLCONV_OK && colconv_get_num_threads() == 1);
  EXPECT(strlen(colconv_version()) >= 5 && colconv_version_number() > 0);
  printf("c_api_c99: %s\n", failures == 0 ? "ok" : "FAILED");
  return failures == 0 ? 0 : 1;
}
