package wiretest

import (
	"bufio"
	"errors"
)

// errAfterClose is a stream's error for bytes after a response that said
// Connection: close.
var errAfterClose = errors.New("bytes follow a response that said Connection: close")

// responseStream reads the responses of one connection in order. It knows
// which requests were HEAD, and when the HTTP exchange is over.
type responseStream struct {
	br      *bufio.Reader
	methods []string  // the request methods in order, when known
	finals  int       // final (non-1xx) responses read so far
	last    *Response // the last response read
}

func newResponseStream(br *bufio.Reader, methods []string) *responseStream {
	return &responseStream{br: br, methods: methods}
}

// peek waits for the first byte of the next response. It returns the
// read's error when none comes: io.EOF for a clean end of the stream.
func (s *responseStream) peek() error {
	_, err := s.br.Peek(1)
	return err
}

// next parses the response whose first byte peek saw. Bytes after a final
// response that said Connection: close are an error (errAfterClose).
func (s *responseStream) next() (*Response, error) {
	if s.last != nil && s.last.Status >= 200 && s.last.Closes() {
		return nil, errAfterClose
	}
	r, err := ReadResponse(s.br, s.nextIsHEAD())
	if err != nil {
		return nil, err
	}
	if r.Status >= 200 {
		s.finals++
	}
	s.last = r
	return r, nil
}

// nextIsHEAD reports whether the next final response answers a HEAD.
func (s *responseStream) nextIsHEAD() bool {
	return s.finals < len(s.methods) && s.methods[s.finals] == "HEAD"
}

// ended reports whether the HTTP exchange is over: the last response's body
// ran to the end of the connection, or it was a 101 after which the stream
// is no longer HTTP.
func (s *responseStream) ended() bool {
	return s.last != nil && (s.last.UntilEOF || s.last.Status == 101)
}
