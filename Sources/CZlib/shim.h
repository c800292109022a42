#ifndef HEAPCONV_CZLIB_SHIM_H
#define HEAPCONV_CZLIB_SHIM_H
#define ZLIB_CONST
#include <zlib.h>
#endif
