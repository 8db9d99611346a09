/*
 * sweep — signal everything sexton is responsible for.
 *
 * Owns "everything left": as PID 1 that is every process of the PID
 * namespace (kill(-1) reaches them all); as a subreaper it is only our
 * descendants, found with procscan, because kill(-1) would hit the whole
 * host.
 */
#ifndef SEXTON_SWEEP_H
#define SEXTON_SWEEP_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * Send SIG to every process sexton is responsible for, except EXCEPT
 * (0 = none; PID 1 cannot exclude anyone, kill(-1) is all or nothing).
 * Returns how many were signalled (PID 1: 1 if any process exists, else 0),
 * or -errno if /proc could not be read.
 */
int sweep_signal(bool is_pid1, int sig, pid_t except);

#endif
