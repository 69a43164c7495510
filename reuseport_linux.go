package tinyhttp

import (
	"net"
	"os"
	"strings"
)

// afterReusePortListen has nothing to add on Linux.
func afterReusePortListen(net.Listener) {}

// reusePortMigrates reports whether Linux moves the connections queued on a
// closing SO_REUSEPORT listener (handshake done, not yet accepted) to the
// other listeners of its port, instead of resetting them: only with
// net.ipv4.tcp_migrate_req=1 (Linux 5.14 and later), or a BPF program of
// type BPF_SK_REUSEPORT_SELECT_OR_MIGRATE, which this package does not load.
func reusePortMigrates() bool {
	b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_migrate_req")
	return err == nil && strings.TrimSpace(string(b)) == "1"
}
