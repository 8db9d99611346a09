#!/bin/sh
# The `make run` demo: sexton is PID 1 of a fresh PID namespace and this
# script is its main child. It makes orphans the way real programs do
# (a daemon that double-forks, a shell that backgrounds and exits) and
# shows that none is left as a zombie. sexton runs with -v, so its debug
# lines show each orphan it reaps.
set -u

show() {
	echo "--- processes in the namespace ($1):"
	ps -o pid,ppid,stat,comm | sed 's/^/    /'
}

echo "demo: I am pid $$; sexton is pid 1"
for round in 1 2 3; do
	echo
	echo "demo: round $round: three double-forked children, parents exit at once"
	for i in 1 2 3; do
		sh -c "sleep 0.$i &" # the inner sh exits now: its sleep is orphaned
	done
	show "orphans adopted by PID 1, still running"
	sleep 1
	show "after they exited: reaped by PID 1, no <defunct>"
done
echo
echo "demo: leaving a background process behind; sexton stops it on exit"
sleep 300 &
echo "demo: exiting with code 0: sexton TERMs what is left and exits 0"
exit 0
