/* Marks colconv's public symbols; everything else in libcolconv.so is hidden. */
#ifndef COLCONV_EXPORT_H_
#define COLCONV_EXPORT_H_

#if defined(_WIN32)
#define COLCONV_API
#else
#define COLCONV_API __attribute__((visibility("default")))
#endif

#endif  /* COLCONV_EXPORT_H_ */
