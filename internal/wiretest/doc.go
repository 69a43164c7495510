// Package wiretest is tinyhttp's wire-level test harness: the client side of
// the tests that talk to a real server over a loopback socket with raw bytes.
//
// It holds everything those tests need that does not depend on tinyhttp
// itself, so that the root package's own tests (package tinyhttp) and the
// black-box tests (package tests) share one copy:
//
//   - Client, a raw connection that sends bytes as given and reads responses
//     with a deadline on every operation;
//   - ReadResponse and ParseResponses, a strict HTTP/1.1 response parser
//     (status line, fields, every body framing, trailers) that rejects what
//     a correct server never sends, and Response, what it returns;
//   - CheckInvariants and CheckDate, the rules every response must follow;
//   - CheckLeaks, Goroutines and Stacks, the goroutine-leak check;
//   - SummarizeLongStrings, a cmp option for comparing long bodies;
//   - Within, PollUntil, WaitParked and ReadWatcher, bounded waits for
//     explicit signals, so that no test sleeps to synchronise and a hang
//     fails the test instead of stalling it.
//
// The package must not import tinyhttp: the root package's tests import it,
// and that import would be a cycle. Header fields are therefore plain Field
// values, and the server-side wrappers (starting a server, recording what
// the application saw) stay in the packages that use them.
//
// Every wait is bounded by Timeout, or by a duration the caller gives. The
// bounds are there so that a hang fails; nothing here asserts that anything
// happens quickly.
package wiretest
