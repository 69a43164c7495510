package tinyhttp

// Listeners passed by systemd socket activation (sd_listen_fds(3)): the
// protocol is small enough to implement here rather than depend on
// github.com/coreos/go-systemd, whose activation package does the same
// (LISTEN_PID, LISTEN_FDS, descriptors from 3) and brings nothing we need.

import (
	"fmt"
	"net"
	"os"
	"strconv"
)

// listenFDsStart is SD_LISTEN_FDS_START: systemd passes the sockets as
// file descriptors 3, 4, ..., after stdin, stdout and stderr.
const listenFDsStart = 3

// ListenersFromEnv returns the listening sockets that systemd socket
// activation (or anything speaking its protocol) passed to this process,
// in order, for FromListener or NewServerFromListener. It returns nil, nil
// when LISTEN_PID does not name this process or LISTEN_FDS is unset. It
// unsets LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES, so that child processes
// do not take the sockets for theirs, and the descriptors it returns are
// close-on-exec. Call it once.
func ListenersFromEnv() ([]net.Listener, error) {
	pid, err := strconv.Atoi(os.Getenv("LISTEN_PID"))
	if err != nil || pid != os.Getpid() {
		return nil, nil
	}
	fds := os.Getenv("LISTEN_FDS")
	n, err := strconv.Atoi(fds)
	os.Unsetenv("LISTEN_PID")
	os.Unsetenv("LISTEN_FDS")
	os.Unsetenv("LISTEN_FDNAMES")
	if err != nil || n < 0 {
		return nil, fmt.Errorf("tinyhttp: LISTEN_FDS=%q: not a count of descriptors", fds)
	}
	return listenersFrom(listenFDsStart, n)
}

// listenersFrom turns the descriptors first, first+1, ... into listeners;
// each is duplicated (close-on-exec) by net.FileListener and the original
// closed.
func listenersFrom(first, n int) ([]net.Listener, error) {
	var lns []net.Listener
	for fd := first; fd < first+n; fd++ {
		f := os.NewFile(uintptr(fd), "LISTEN_FD_"+strconv.Itoa(fd))
		ln, err := net.FileListener(f)
		f.Close()
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, fmt.Errorf("tinyhttp: socket activation, descriptor %d: %w", fd, err)
		}
		lns = append(lns, ln)
	}
	return lns, nil
}
