// doctest's main, alone in its file: it is slow to compile, and the test files change more often.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
