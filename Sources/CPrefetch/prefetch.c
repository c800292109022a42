// The module's only function is inline in include/heapconv_prefetch.h; SwiftPM needs one source file.
#include "heapconv_prefetch.h"
