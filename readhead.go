package tinyhttp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unsafe"

	"golang.org/x/net/http/httpguts"
)

// Reading a request head off the connection: the lines of the request line
// and header section, line endings removed, into the connection's head
// buffer, with the limits (414, 431) applied as bytes arrive and a fast path
// for a head that is whole in the read buffer. parse.go then parses the
// head's text.

// trimLineEnd removes the LF and an optional CR before it. A CR anywhere
// else in the line is a bare CR, which the caller rejects.
func trimLineEnd(line []byte) []byte {
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}

// hasBareCR reports whether line (without its line ending) contains a CR.
func hasBareCR(line []byte) bool { return bytes.IndexByte(line, '\r') >= 0 }

// headBuffer is a connection's scratch space for reading request heads; it is
// reused from one request to the next.
type headBuffer struct {
	buf     []byte      // the lines of the head, line endings removed
	lines   []int       // end offset in buf of each line
	reqLine requestLine // the request line's shape, checked when it arrived
}

// readHead reads one request head from br into hb: empty lines before the
// request line are skipped (H19; if nothing follows them yet and
// bl.blankWait agrees, readHead returns errBlankLines), line endings may be
// CRLF or bare LF (H12), a bare CR is refused (H11), and the limits give 414
// and 431 before more than a limit's worth of bytes is held. It returns
// io.EOF when the connection ends cleanly before a request starts and
// io.ErrUnexpectedEOF when it ends inside a head.
func readHead(br *bufio.Reader, hb *headBuffer, lim headLimits, bl blocker) error {
	if readBufferedHead(br, hb, lim) {
		return nil
	}
	hb.buf, hb.lines = hb.buf[:0], hb.lines[:0]
	total := 0 // bytes read for this head, line endings and leading empty lines included
	for {
		if len(hb.lines) == 0 {
			if total > 0 && br.Buffered() == 0 && bl.blankWait() {
				return errBlankLines
			}
			if err := checkRequestStart(br, bl); err != nil {
				return headReadError(err, total, true, lim)
			}
		}
		line, n, err := readLine(br, hb.buf, lineLimit(hb, lim, total), bl)
		total += n
		if err != nil {
			return headReadError(err, total, len(hb.lines) == 0, lim)
		}
		if len(line) == len(hb.buf) { // an empty line
			if len(hb.lines) == 0 {
				continue // H19: ignore empty lines before the request line
			}
			return nil
		}
		if hasBareCR(line[len(hb.buf):]) {
			return badRequest("bare CR in request head")
		}
		if len(hb.lines) == 0 {
			rl, err := checkRequestLine(line)
			if err != nil {
				return err // 400 or 505 now, before waiting for the fields
			}
			hb.reqLine = rl
		}
		hb.buf = line
		hb.lines = append(hb.lines, len(hb.buf))
		if len(hb.lines) > lim.maxFields+1 {
			return &parseError{status: StatusRequestHeaderFieldsTooLarge, err: ErrHeaderTooLarge,
				detail: fmt.Sprintf("more than %d header fields", lim.maxFields)}
		}
	}
}

// readBufferedHead is readHead's fast path, for the usual head: one that is
// whole in br's buffer, without empty lines before it, within the limits,
// with a valid request line. It takes such a head in one pass over the
// buffer and reports true; for anything else it consumes nothing and
// reports false, and readHead's general path reads the head (and finds
// what is wrong with it, if anything). A keep-alive hello-world request cost
// about 1,000 instructions in readHead's line-by-line path, 400 here.
func readBufferedHead(br *bufio.Reader, hb *headBuffer, lim headLimits) bool {
	buf, _ := br.Peek(br.Buffered())
	if len(buf) == 0 || buf[0] == '\r' || buf[0] == '\n' {
		return false
	}
	hb.buf, hb.lines = hb.buf[:0], hb.lines[:0]
	for pos := 0; ; {
		i := bytes.IndexByte(buf[pos:], '\n')
		if i < 0 || pos+i+1 > lim.maxHeader {
			return false
		}
		line := trimLineEnd(buf[pos : pos+i+1])
		pos += i + 1
		switch {
		case len(line) == 0:
			br.Discard(pos)
			return true
		case hasBareCR(line), len(hb.lines) >= lim.maxFields+1:
			return false
		case len(hb.lines) == 0:
			rl, err := checkRequestLine(line)
			if err != nil || len(line) > lim.maxLine {
				return false
			}
			hb.reqLine = rl
		}
		hb.buf = append(hb.buf, line...)
		hb.lines = append(hb.lines, len(hb.buf))
	}
}

// checkRequestStart refuses at once a request whose first byte cannot start
// a method or an empty line (C17: a TLS ClientHello on the plain port), so
// that garbage without a line end gets its 400 without a timeout.
func checkRequestStart(br *bufio.Reader, bl blocker) error {
	if br.Buffered() == 0 {
		bl.beforeBlock()
	}
	b, err := br.Peek(1)
	if err != nil {
		return err
	}
	if c := b[0]; c != '\r' && c != '\n' && !httpguts.IsTokenRune(rune(c)) {
		return badRequest("request starts with byte %#x", c)
	}
	return nil
}

// checkRequestLine validates the request line as soon as it is read, so
// that a bad one (or an HTTP/2 preface) is answered without reading fields,
// and returns its shape for parseHead.
func checkRequestLine(line []byte) (requestLine, error) {
	// The temporary string shares line's memory and is not kept: the result
	// holds only lengths.
	return parseRequestLine(unsafe.String(unsafe.SliceData(line), len(line)))
}

// lineLimit is how many more bytes the next line of the head may take.
func lineLimit(hb *headBuffer, lim headLimits, total int) int {
	if len(hb.lines) == 0 {
		return min(lim.maxLine, lim.maxHeader-total)
	}
	return lim.maxHeader - total
}

// errLineTooLong is readLine's signal that a line passed its limit.
var errLineTooLong = errors.New("line too long")

// blocker is told before a read that may wait for the network, so that the
// caller arms its timeout only when a read can block: a head that is all
// buffered costs no timer. blankWait is asked when only empty lines have
// come and the next read would wait: true makes readHead return
// errBlankLines, without arming anything, so that the caller waits for the
// request as for one that has not begun.
type blocker interface {
	beforeBlock()
	blankWait() bool
}

// errBlankLines is readHead's signal that only empty lines came, and
// nothing after them yet (blocker.blankWait).
var errBlankLines = errors.New("only empty lines before the request line")

// noBlocker is a blocker with nothing to arm, which waits for the rest of
// a head after empty lines as for any head.
type noBlocker struct{}

func (noBlocker) beforeBlock()    {}
func (noBlocker) blankWait() bool { return false }

// errBareCR is readLine's signal that a CR was followed by something other
// than LF (H12: a lone CR is no line terminator).
var errBareCR = errors.New("bare CR")

// readLine appends one line, without its line ending, to dst. n counts every
// byte consumed. It looks at what is buffered before waiting for more, so a
// line whose content passes max gives errLineTooLong, and a CR followed by
// anything but LF gives errBareCR, as soon as the bytes arrive, without
// waiting for a line end that may never come.
func readLine(br *bufio.Reader, dst []byte, max int, bl blocker) (line []byte, n int, err error) {
	for {
		buf, _ := br.Peek(br.Buffered())
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			content := trimLineEnd(buf[:i+1])
			if n+len(content) > max {
				return dst, n, errLineTooLong
			}
			dst = append(dst, content...)
			br.Discard(i + 1)
			return dst, n + i + 1, nil
		}
		if j := bytes.IndexByte(buf, '\r'); j >= 0 && j+1 < len(buf) {
			return dst, n, errBareCR
		}
		if n+len(buf) > max+1 { // +1: a CR at the end may start the CRLF
			return dst, n, errLineTooLong
		}
		if len(buf) == br.Size() { // a full buffer and no LF: keep it, read on
			dst = append(dst, buf...)
			br.Discard(len(buf))
			n += len(buf)
			continue
		}
		bl.beforeBlock()
		if _, err := br.Peek(len(buf) + 1); err != nil {
			return dst, n + len(buf), err
		}
	}
}

// headReadError maps an error from reading a head to what the connection
// does: 414 or 431 for a line past its limit, EOF for a clean end.
func headReadError(err error, total int, inRequestLine bool, lim headLimits) error {
	switch {
	case err == errLineTooLong && inRequestLine && total <= lim.maxHeader:
		return &parseError{status: StatusRequestURITooLong, err: ErrRequestLineTooLong,
			detail: fmt.Sprintf("request line longer than %d bytes", lim.maxLine)}
	case err == errLineTooLong:
		return &parseError{status: StatusRequestHeaderFieldsTooLarge, err: ErrHeaderTooLarge,
			detail: fmt.Sprintf("header section larger than %d bytes", lim.maxHeader)}
	case err == errBareCR:
		return badRequest("bare CR in request head")
	case err == io.EOF && total == 0:
		return io.EOF
	case err == io.EOF:
		return io.ErrUnexpectedEOF
	}
	return err
}
