// Threading policy. The only part of colconv that sees TBB: how many threads an op uses and how its tasks run.
#ifndef COLCONV_SRC_PARALLEL_H_
#define COLCONV_SRC_PARALLEL_H_

namespace colconv {

// colconv's thread setting: 0 follows the calling thread's TBB arena.
void SetThreadSetting(int num_threads);
int ThreadSetting();

// Threads an op started now on this thread uses: `requested` if > 0, else the setting if > 0, else the
// concurrency of the calling thread's arena.
int EffectiveNumThreads(int requested);

}  // namespace colconv

#endif  // COLCONV_SRC_PARALLEL_H_
