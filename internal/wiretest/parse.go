package wiretest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// MaxLine bounds one line of a response (status line, field line,
// chunk-size line) that the parser accepts.
const MaxLine = 1 << 20

// MaxBody bounds a response body the parser accepts, so that a runaway
// response fails the test instead of exhausting memory.
const MaxBody = 64 << 20

// ReadResponse parses one response from br strictly: the status line
// "HTTP/1.1 DDD reason", CRLF line endings, token field names, values without
// control bytes, and exactly one framing (RFC 9112 §6.3): no body for 1xx,
// 204, 304 and, when head is set, a response to HEAD; otherwise chunked,
// Content-Length, or the end of the connection, which requires
// Connection: close. Content-Length together with Transfer-Encoding, two
// Content-Length fields, framing fields on 1xx and 204, and chunk
// extensions are errors. It returns io.EOF when br ends before a response
// starts.
func ReadResponse(br *bufio.Reader, head bool) (*Response, error) {
	line, err := readCRLFLine(br)
	if err != nil {
		return nil, err
	}
	r, err := parseStatusLine(line)
	if err != nil {
		return nil, err
	}
	if r.Header, err = readFields(br); err != nil {
		return nil, fmt.Errorf("%d response: %w", r.Status, err)
	}
	if err := checkFraming(r); err != nil {
		return nil, err
	}
	if !hasBody(r, head) {
		return r, nil
	}
	if err := readBody(br, r); err != nil {
		return nil, fmt.Errorf("%d response body: %w", r.Status, err)
	}
	return r, nil
}

// ParseResponses parses every response of data, a whole stream read until
// the connection closed. methods, when given, are the request methods in
// order, so that responses to HEAD are read without a body. A 101 response
// ends the HTTP part of the stream: what follows it is not parsed.
func ParseResponses(data string, methods ...string) ([]*Response, error) {
	s := newResponseStream(bufio.NewReader(strings.NewReader(data)), methods)
	var rs []*Response
	for !s.ended() {
		if err := s.peek(); err == io.EOF {
			break
		} else if err != nil {
			return rs, err
		}
		r, err := s.next()
		if err != nil {
			return rs, fmt.Errorf("response %d: %w", len(rs), err)
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// parseStatusLine parses "HTTP/1.1 DDD reason" (the reason may be empty,
// the space before it may not).
func parseStatusLine(line string) (*Response, error) {
	rest, ok := strings.CutPrefix(line, "HTTP/1.1 ")
	if !ok {
		return nil, fmt.Errorf("status line %q does not start with \"HTTP/1.1 \"", line)
	}
	code, reason, ok := strings.Cut(rest, " ")
	if !ok || len(code) != 3 || !isDigits(code) || code[0] == '0' {
		return nil, fmt.Errorf("malformed status line %q", line)
	}
	if c, bad := controlByte(reason); bad {
		return nil, fmt.Errorf("control byte %#x in the reason phrase of %q", c, line)
	}
	status, _ := strconv.Atoi(code)
	return &Response{Proto: "HTTP/1.1", Status: status, Reason: reason}, nil
}

// checkFraming rejects framing fields that contradict each other or the status.
func checkFraming(r *Response) error {
	cls, tes := r.Values("Content-Length"), r.Values("Transfer-Encoding")
	switch {
	case len(cls) > 0 && len(tes) > 0:
		return fmt.Errorf("C16: %d response has both Content-Length and Transfer-Encoding", r.Status)
	case len(cls) > 1:
		return fmt.Errorf("%d response has %d Content-Length fields", r.Status, len(cls))
	case (r.Status < 200 || r.Status == 204) && (len(cls) > 0 || len(tes) > 0):
		return fmt.Errorf("C13/C14: %d response carries Content-Length %v / Transfer-Encoding %v", r.Status, cls, tes)
	}
	return nil
}

// hasBody reports whether a body follows r's header section.
func hasBody(r *Response, head bool) bool {
	return !head && r.Status >= 200 && r.Status != 204 && r.Status != 304
}

// readBody reads r's body as its framing says.
func readBody(br *bufio.Reader, r *Response) error {
	var err error
	switch {
	case r.Has("Transfer-Encoding"):
		if tes := r.Values("Transfer-Encoding"); len(tes) != 1 || tes[0] != "chunked" {
			return fmt.Errorf("unexpected Transfer-Encoding %q", tes)
		}
		r.Chunked = true
		r.Body, r.Trailers, err = readChunked(br)
	case r.Has("Content-Length"):
		cl, _ := r.Get("Content-Length")
		r.Body, err = readContentLength(br, cl)
	default:
		if !r.Closes() {
			return errors.New("no framing and no Connection: close")
		}
		r.UntilEOF = true
		r.Body, err = readUntilEOF(br)
	}
	return err
}

// readContentLength reads a body of the length cl gives.
func readContentLength(br *bufio.Reader, cl string) ([]byte, error) {
	n, err := strconv.ParseInt(cl, 10, 64)
	if !isDigits(cl) || err != nil || n > MaxBody {
		return nil, fmt.Errorf("invalid Content-Length %q", cl)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(br, body); err != nil {
		return nil, fmt.Errorf("body shorter than Content-Length %d: %w", n, err)
	}
	return body, nil
}

// readUntilEOF reads a close-delimited body.
func readUntilEOF(br *bufio.Reader) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(br, MaxBody+1))
	if err == nil && len(body) > MaxBody {
		err = fmt.Errorf("close-delimited body above %d bytes", MaxBody)
	}
	return body, err
}

// readFields reads field lines up to the empty line that ends the section.
func readFields(br *bufio.Reader) ([]Field, error) {
	var fs []Field
	for {
		line, err := readCRLFLine(br)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, err
		}
		if line == "" {
			return fs, nil
		}
		f, err := parseField(line)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
}

// parseField parses one field line: a token name, a colon, and a value
// without control bytes, its surrounding spaces and tabs trimmed.
func parseField(line string) (Field, error) {
	name, value, ok := strings.Cut(line, ":")
	if !ok || !IsToken(name) {
		return Field{}, fmt.Errorf("malformed field line %q", line)
	}
	value = strings.Trim(value, " \t")
	if c, bad := controlByte(value); bad {
		return Field{}, fmt.Errorf("control byte %#x in field %q", c, name)
	}
	return Field{Name: name, Value: value}, nil
}

// readChunked decodes a chunked body strictly (no chunk extensions) and
// its trailer section.
func readChunked(br *bufio.Reader) (body []byte, trailers []Field, err error) {
	for {
		size, err := readChunkSize(br)
		if err != nil {
			return nil, nil, err
		}
		if size == 0 {
			trailers, err = readFields(br)
			return body, trailers, err
		}
		if uint64(len(body))+size > MaxBody {
			return nil, nil, fmt.Errorf("chunked body above %d bytes", MaxBody)
		}
		chunk := make([]byte, size+2)
		if _, err := io.ReadFull(br, chunk); err != nil {
			return nil, nil, fmt.Errorf("chunk of %d bytes: %w", size, err)
		}
		if !bytes.HasSuffix(chunk, []byte("\r\n")) {
			return nil, nil, errors.New("chunk data not followed by CRLF")
		}
		body = append(body, chunk[:size]...)
	}
}

// readChunkSize reads a chunk-size line: hexadecimal digits only.
func readChunkSize(br *bufio.Reader) (uint64, error) {
	line, err := readCRLFLine(br)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return 0, err
	}
	if line == "" || len(line) > 16 {
		return 0, fmt.Errorf("malformed chunk-size line %q", line)
	}
	size, err := strconv.ParseUint(line, 16, 64)
	if err != nil || size > MaxBody {
		return 0, fmt.Errorf("malformed chunk-size line %q", line)
	}
	return size, nil
}

// readCRLFLine reads one line ending in CRLF and returns it without the
// CRLF; a bare CR or LF is an error. io.EOF means br ended before the line
// started.
func readCRLFLine(br *bufio.Reader) (string, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		line = append(line, frag...)
		if len(line) > MaxLine {
			return "", fmt.Errorf("line longer than %d bytes", MaxLine)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(line) > 0 {
			return "", fmt.Errorf("stream ends inside line %q: %w", line, io.ErrUnexpectedEOF)
		}
		if err != nil {
			return "", err
		}
		break
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return "", fmt.Errorf("line %q does not end in CRLF", line)
	}
	content := line[:len(line)-2]
	if bytes.ContainsAny(content, "\r\n") {
		return "", fmt.Errorf("bare CR or LF in line %q", content)
	}
	return string(content), nil
}

// controlByte returns the first control byte of s other than HTAB, if any.
func controlByte(s string) (byte, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return c, true
		}
	}
	return 0, false
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// IsToken reports whether s is an RFC 9110 token (§5.6.2). The harness has
// its own copy rather than trusting the code under test.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
