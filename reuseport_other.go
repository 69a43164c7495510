//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package tinyhttp

import (
	"fmt"
	"net"
	"runtime"
	"syscall"
)

// reusePortAvailable reports that this platform has no SO_REUSEPORT.
func reusePortAvailable() error {
	return fmt.Errorf("%w on %s", ErrReusePortUnsupported, runtime.GOOS)
}

// setReusePort is never called here: reusePortAvailable fails first.
func setReusePort(network, address string, rc syscall.RawConn) error {
	return reusePortAvailable()
}

// afterReusePortListen has nothing to do here.
func afterReusePortListen(net.Listener) {}

// isAddrInUse is not told apart on this platform.
func isAddrInUse(error) bool { return false }

// reusePortMigrates: no SO_REUSEPORT, nothing migrates.
func reusePortMigrates() bool { return false }
