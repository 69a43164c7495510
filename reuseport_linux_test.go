package tinyhttp

import (
	"os"
	"os/exec"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// netnsEnv marks the test binary rerun by inMigratingNetns.
const netnsEnv = "TINYHTTP_TEST_MIGRATING_NETNS"

// inMigratingNetns reruns the calling test in a new network namespace with
// the loopback up and net.ipv4.tcp_migrate_req=1 (a sysctl of that
// namespace only, so the machine's setting is untouched), and reports its
// outcome; true means "this is the rerun, go on". It skips where a
// namespace cannot be made (not root).
func inMigratingNetns(t *testing.T) bool {
	t.Helper()
	if os.Getenv(netnsEnv) != "" {
		if err := setupMigratingNetns(); err != nil {
			t.Fatalf("in the new network namespace: %v", err)
		}
		if !reusePortMigrates() {
			t.Fatal("net.ipv4.tcp_migrate_req is still 0 in the new namespace")
		}
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	out, err := cmd.CombinedOutput()
	if err != nil && len(out) == 0 {
		t.Skipf("queued connections of a closing SO_REUSEPORT listener are reset unless "+
			"net.ipv4.tcp_migrate_req=1, and no network namespace could be made to set it (%v)", err)
	}
	t.Logf("rerun in a network namespace with net.ipv4.tcp_migrate_req=1:\n%s", out)
	if err != nil {
		t.Fatalf("the rerun failed: %v", err)
	}
	return false
}

// setupMigratingNetns brings the loopback up and sets the sysctl; run in
// the namespace, before the test looks at reusePortMigrates again.
func setupMigratingNetns() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return err
	}
	return os.WriteFile("/proc/sys/net/ipv4/tcp_migrate_req", []byte("1\n"), 0o644)
}
