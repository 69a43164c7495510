package wsecho

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Opcodes (RFC 6455 §5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// Close status codes (RFC 6455 §7.4.1) the server sends.
const (
	CloseNormal         = 1000 // the purpose of the connection is fulfilled
	CloseGoingAway      = 1001 // the server goes away, or the session was idle too long
	CloseProtocolError  = 1002 // a frame broke RFC 6455
	CloseInvalidPayload = 1007 // a text message (or close reason) was not UTF-8
	CloseMessageTooBig  = 1009 // a message above the size limit
)

// closeNoStatus stands for a close frame without a code (§7.1.5); it is
// never sent on the wire.
const closeNoStatus = 1005

// maxControlPayload is the largest payload of a control frame (§5.5).
const maxControlPayload = 125

// frameHeader is the fixed part of a frame (RFC 6455 §5.2).
type frameHeader struct {
	fin     bool
	rsv     byte // the three reserved bits, in place
	opcode  byte
	masked  bool
	lenCode byte // the 7-bit length field: 126 and 127 announce an extended length
	key     [4]byte
	length  uint64
}

// protocolError is a violation of RFC 6455 by the client: the session ends
// with a close frame carrying code and reason.
type protocolError struct {
	code   int
	reason string
}

func (e *protocolError) Error() string {
	return fmt.Sprintf("websocket: %s (close %d)", e.reason, e.code)
}

// failf returns a protocolError.
func failf(code int, format string, args ...any) error {
	return &protocolError{code: code, reason: fmt.Sprintf(format, args...)}
}

// isControl reports whether op is a control opcode (close, ping, pong).
func isControl(op byte) bool { return op&0x8 != 0 }

// readFrameHeader reads a frame header: the first two bytes, the extended
// length and the masking key when there is one. It fails only on I/O errors
// and on a 64-bit length with its top bit set (which cannot be skipped);
// check the header with validate.
func readFrameHeader(br *bufio.Reader) (frameHeader, error) {
	var h frameHeader
	var b [8]byte
	if _, err := io.ReadFull(br, b[:2]); err != nil {
		return h, err
	}
	h.fin = b[0]&0x80 != 0
	h.rsv = b[0] & 0x70
	h.opcode = b[0] & 0x0F
	h.masked = b[1]&0x80 != 0
	h.lenCode = b[1] & 0x7F
	switch h.lenCode {
	case 126:
		if _, err := io.ReadFull(br, b[:2]); err != nil {
			return h, noEOF(err)
		}
		h.length = uint64(binary.BigEndian.Uint16(b[:2]))
	case 127:
		if _, err := io.ReadFull(br, b[:8]); err != nil {
			return h, noEOF(err)
		}
		h.length = binary.BigEndian.Uint64(b[:8])
		if h.length>>63 != 0 {
			return h, failf(CloseProtocolError, "64-bit length with the top bit set")
		}
	default:
		h.length = uint64(h.lenCode)
	}
	if h.masked {
		if _, err := io.ReadFull(br, h.key[:]); err != nil {
			return h, noEOF(err)
		}
	}
	return h, nil
}

// validate checks a header sent by a client: RSV bits clear (no extension is
// negotiated), a known opcode, a masking key (clients must mask, §5.1), a
// minimally encoded length (§5.2), and control frames unfragmented and at
// most 125 bytes (§5.5).
func (h frameHeader) validate() error {
	if h.rsv != 0 {
		return failf(CloseProtocolError, "reserved bits set without an extension")
	}
	switch h.opcode {
	case opContinuation, opText, opBinary, opClose, opPing, opPong:
	default:
		return failf(CloseProtocolError, "reserved opcode %#x", h.opcode)
	}
	if (h.lenCode == 126 && h.length < 126) || (h.lenCode == 127 && h.length <= 0xFFFF) {
		return failf(CloseProtocolError, "length not minimally encoded")
	}
	if !h.masked {
		return failf(CloseProtocolError, "client frame not masked")
	}
	if isControl(h.opcode) {
		if !h.fin {
			return failf(CloseProtocolError, "fragmented control frame")
		}
		if h.length > maxControlPayload {
			return failf(CloseProtocolError, "control frame payload above 125 bytes")
		}
	}
	return nil
}

// noEOF turns an EOF inside a frame into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readPayload reads h's payload and unmasks it.
func readPayload(br *bufio.Reader, h frameHeader) ([]byte, error) {
	p := make([]byte, h.length)
	if _, err := io.ReadFull(br, p); err != nil {
		return nil, noEOF(err)
	}
	mask(p, h.key)
	return p, nil
}

// mask applies (and removes: XOR is its own inverse) a masking key (§5.3).
func mask(p []byte, key [4]byte) {
	for i := range p {
		p[i] ^= key[i&3]
	}
}

// appendFrame appends an unmasked, unfragmented server frame (§5.1: a
// server must not mask).
func appendFrame(b []byte, op byte, payload []byte) []byte {
	b = append(b, 0x80|op)
	switch n := len(payload); {
	case n <= 125:
		b = append(b, byte(n))
	case n <= 0xFFFF:
		b = append(b, 126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, payload...)
}

// closePayload builds a close frame's payload: the status code, then the
// reason, cut to fit a control frame.
func closePayload(code int, reason string) []byte {
	if code == closeNoStatus {
		return nil
	}
	b := binary.BigEndian.AppendUint16(nil, uint16(code))
	if len(reason) > maxControlPayload-2 {
		reason = reason[:maxControlPayload-2]
		for !utf8.ValidString(reason) {
			reason = reason[:len(reason)-1]
		}
	}
	return append(b, reason...)
}

// parseClose reads a received close frame's payload (§5.5.1, §7.4): empty,
// or a valid status code followed by a UTF-8 reason.
func parseClose(p []byte) (code int, reason string, err error) {
	switch {
	case len(p) == 0:
		return closeNoStatus, "", nil
	case len(p) == 1:
		return 0, "", failf(CloseProtocolError, "close payload of one byte")
	}
	code = int(binary.BigEndian.Uint16(p))
	if !validCloseCode(code) {
		return 0, "", failf(CloseProtocolError, "invalid close code %d", code)
	}
	if !utf8.Valid(p[2:]) {
		return 0, "", failf(CloseInvalidPayload, "close reason is not UTF-8")
	}
	return code, string(p[2:]), nil
}

// validCloseCode reports whether a peer may send code (RFC 6455 §7.4 and
// the IANA registry): 1000-1003, 1007-1014, or 3000-4999. 1004-1006 and
// 1015 are reserved and never sent on the wire.
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003:
		return true
	case code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}
