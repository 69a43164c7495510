// Package testhook connects package tinyhttptest to tinyhttp's internals
// without widening tinyhttp's exported API.
package testhook

import (
	"io"
	"net"
)

// Spec describes a request built without a network.
type Spec struct {
	Method  string
	Target  string
	Major   uint8
	Minor   uint8
	Headers [][2]string
	Body    io.Reader
	BodyLen int64 // -1: unknown
	Remote  net.Addr
	Secure  bool
	Sink    Sink
}

// Sink receives the answer to a request built from a Spec. resp is a
// *tinyhttp.Response.
type Sink interface {
	Respond(resp any) error
	IntoWriter() (io.WriteCloser, error)
	Upgrade(protocol string, resp any) (net.Conn, error)
}

// NewRequest builds a *tinyhttp.Request from a Spec; tinyhttp sets it.
var NewRequest func(Spec) any

// Render serializes a *tinyhttp.Response exactly as the server would send
// it in answer to a request of the given method and version; tinyhttp sets it.
var Render func(resp any, method string, major, minor uint8) ([]byte, error)
