/*
 * workerpool - a pool of worker goroutines, and timeouts through select.
 * main queues jobs on a buffered channel; W workers take them in turn.
 * Each job carries its own reply channel (capacity 1, so a worker whose
 * result comes too late still never blocks).  main waits for each reply
 * in job order with a select over the reply and a timer: whichever fires
 * first wins, so a slow job is reported as timed out and main moves on,
 * as Go's `select { case r := <-reply: ... case <-time.After(d): ... }`.
 * When main returns, the workers still busy with slow jobs are abandoned.
 *
 *     ./workerpool     8 jobs on 4 workers; jobs 2 and 5 are slow
 */
#include <stdio.h>
#include <stdlib.h>

#include "gort.h"

#define MS (1000 * 1000L)

enum { WORKERS = 4, JOBS = 8 };
static const int64_t TIMEOUT = 200 * MS;

typedef struct {
    int id;
    int64_t work;     /* how long the job takes */
    gort_chan *reply; /* long, capacity 1 */
} job;

static void worker(void *arg)
{
    gort_chan *jobs = arg;
    job *j;
    while (gort_chan_recv(jobs, &j)) {
        gort_sleep(j->work); /* stands for real work or a slow server */
        long result = (long)j->id * j->id;
        gort_chan_send(j->reply, &result);
    }
}

static void main_fn(void *arg)
{
    (void)arg;
    static job all[JOBS];
    gort_chan *jobs = gort_chan_new(sizeof(job *), JOBS);
    for (int i = 0; i < WORKERS; i++)
        gort_go(worker, jobs);
    for (int i = 0; i < JOBS; i++) {
        all[i] = (job){i, (i % 3 == 2 ? 1000 : 10) * MS, gort_chan_new(sizeof(long), 1)};
        job *j = &all[i];
        gort_chan_send(jobs, &j);
    }
    gort_chan_close(jobs); /* workers exit once the queue is drained */

    for (int i = 0; i < JOBS; i++) {
        long result;
        gort_timer *t = gort_timer_new(TIMEOUT);
        gort_case cases[] = {
            {all[i].reply, GORT_RECV, &result, false},
            {gort_timer_chan(t), GORT_RECV, NULL, false},
        };
        if (gort_select(cases, 2, true) == 0)
            printf("job %d: result %ld\n", i, result);
        else
            printf("job %d: timed out after %lld ms\n", i, (long long)(TIMEOUT / MS));
        gort_timer_free(t);
    }
}

int main(void)
{
    int rc = gort_run(main_fn, NULL);
    if (rc != 0)
        fprintf(stderr, "workerpool: gort_run failed: %d\n", rc);
    return rc != 0;
}
