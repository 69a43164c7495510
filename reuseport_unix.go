//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package tinyhttp

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// reusePortAvailable reports that this platform has SO_REUSEPORT.
func reusePortAvailable() error { return nil }

// setReusePort is a net.ListenConfig.Control function: it sets SO_REUSEPORT
// on the socket before bind. Go sets SO_REUSEADDR on listeners already.
func setReusePort(network, address string, rc syscall.RawConn) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

// isAddrInUse reports whether a listen failed because the address is taken.
func isAddrInUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }
