/* gort/sync.h - included by gort.h; do not include directly. */
#ifndef GORT_SYNC_H
#define GORT_SYNC_H

#include "../gort.h"

#endif /* GORT_SYNC_H */
