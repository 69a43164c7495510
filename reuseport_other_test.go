//go:build !linux

package tinyhttp

import "testing"

// inMigratingNetns skips: only Linux has network namespaces to rerun in.
func inMigratingNetns(t *testing.T) bool {
	t.Skip("a closing SO_REUSEPORT listener's queued connections are not known to migrate here")
	return false
}
