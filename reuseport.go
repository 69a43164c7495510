package tinyhttp

// ServerConfig.ReusePort: binding a TCP listener with SO_REUSEPORT, so that
// several servers (in one process or in several) share one port and the
// kernel spreads the connections between them. The socket option itself is
// set in reuseport_unix.go; platforms without it get ErrReusePortUnsupported
// (reuseport_other.go).

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// ErrReusePortUnsupported is returned by NewServer when ServerConfig.ReusePort
// is set on a platform without SO_REUSEPORT, or for a network other than TCP
// (a Unix socket path cannot be shared that way).
var ErrReusePortUnsupported = errors.New("tinyhttp: SO_REUSEPORT is not supported")

// listenReusePort opens a TCP listener with SO_REUSEPORT set before bind.
func listenReusePort(network, addr string) (net.Listener, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("%w for network %q (TCP only)", ErrReusePortUnsupported, network)
	}
	if err := reusePortAvailable(); err != nil {
		return nil, err
	}
	lc := net.ListenConfig{Control: setReusePort}
	ln, err := lc.Listen(context.Background(), network, addr)
	if err != nil {
		return nil, listenError(err)
	}
	afterReusePortListen(ln)
	return ln, nil
}

// listenError wraps a failed bind, with ErrAddressInUse when the port is
// taken (by a listener without SO_REUSEPORT, or one of another user).
func listenError(err error) error {
	if isAddrInUse(err) {
		return fmt.Errorf("tinyhttp: listen: %w: %w", ErrAddressInUse, err)
	}
	return fmt.Errorf("tinyhttp: listen: %w", err)
}
