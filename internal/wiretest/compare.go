package wiretest

import (
	"crypto/sha256"
	"fmt"

	"github.com/google/go-cmp/cmp"
)

// SummarizeLongStrings is a cmp option that compares every string longer
// than 64 bytes through a summary of it: its length, its SHA-256 digest and
// its first 32 bytes. Two summaries are equal exactly when the strings are
// (barring a digest collision), so the comparison is unchanged, but
// cmp.Diff reports a difference between two long bodies in a line each.
var SummarizeLongStrings = cmp.Transformer("Summary", summarize)

// summarize returns s itself when it is short, else its summary.
func summarize(s string) string {
	if len(s) <= 64 {
		return s
	}
	return fmt.Sprintf("%d bytes, sha256 %x, starting %q", len(s), sha256.Sum256([]byte(s)), s[:32])
}
