package tinyhttp

import (
	"io"
	"log"
)

// discardLog is an ErrorLog for tests that provoke logged errors on purpose.
func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
