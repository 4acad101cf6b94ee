/* gort/chan.h - included by gort.h; do not include directly. */
#ifndef GORT_CHAN_H
#define GORT_CHAN_H

#include "../gort.h"

#endif /* GORT_CHAN_H */
