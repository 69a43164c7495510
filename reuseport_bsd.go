//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package tinyhttp

import "net"

// afterReusePortListen has nothing to add on the BSDs (reuseport_linux.go
// explains what Linux needs).
func afterReusePortListen(net.Listener) {}

// reusePortMigrates: a closing listener's queued connections are not known
// to move to the others here.
func reusePortMigrates() bool { return false }
