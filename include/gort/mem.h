/* gort/mem.h - included by gort.h; do not include directly. */
#ifndef GORT_MEM_H
#define GORT_MEM_H

#include "../gort.h"

#endif /* GORT_MEM_H */
